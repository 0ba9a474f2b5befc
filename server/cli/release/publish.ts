import {
  CreateAliasCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  type LambdaClient,
  PublishVersionCommand,
  UpdateAliasCommand,
} from "@aws-sdk/client-lambda";
import { awsCall } from "./errors.ts";
import { configurationChanges, type DesiredFunction } from "./function-config.ts";

export type AliasOutcome = {
  aliasArn: string;
  /** Version the alias named before; absent when the alias was created. */
  previousVersion?: string;
  version: string;
  published: boolean;
};

/**
 * Points the alias at a published version holding exactly the desired code and configuration.
 * When the alias already names such a version nothing is published (an unchanged re-deploy
 * makes no version); otherwise $LATEST is published, pinned to the expected CodeSha256 so a
 * concurrent deploy's code is never published under this one's name.
 */
export async function publishAndMoveAlias(lambda: LambdaClient, desired: DesiredFunction, codeSha256: string, alias: string): Promise<AliasOutcome> {
  const name = desired.functionName;
  const current = await getAlias(lambda, name, alias);
  if (current) {
    const live = await awsCall("lambda:GetFunctionConfiguration", `${name}:${alias}`, () =>
      lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name, Qualifier: alias })),
    );
    if (live.CodeSha256 === codeSha256 && configurationChanges(live, desired).length === 0) {
      return { aliasArn: current.AliasArn!, previousVersion: current.FunctionVersion, version: current.FunctionVersion!, published: false };
    }
  }
  const published = await awsCall("lambda:PublishVersion", name, () =>
    lambda.send(new PublishVersionCommand({ FunctionName: name, CodeSha256: codeSha256, Description: `hoist ${codeSha256.slice(0, 12)}` })),
  );
  const version = published.Version!;
  if (!current) {
    const created = await awsCall("lambda:CreateAlias", `${name}:${alias}`, () =>
      lambda.send(new CreateAliasCommand({ FunctionName: name, Name: alias, FunctionVersion: version, Description: "the version S3 staging events invoke" })),
    );
    return { aliasArn: created.AliasArn!, version, published: true };
  }
  if (current.FunctionVersion !== version) await moveAlias(lambda, name, alias, version);
  return { aliasArn: current.AliasArn!, previousVersion: current.FunctionVersion, version, published: true };
}

export async function getAlias(lambda: LambdaClient, name: string, alias: string) {
  try {
    return await lambda.send(new GetAliasCommand({ FunctionName: name, Name: alias }));
  } catch (err) {
    if ((err as { name?: string }).name === "ResourceNotFoundException") return undefined;
    return awsCall("lambda:GetAlias", `${name}:${alias}`, () => Promise.reject(err));
  }
}

export async function moveAlias(lambda: LambdaClient, name: string, alias: string, version: string): Promise<void> {
  await awsCall("lambda:UpdateAlias", `${name}:${alias}`, () =>
    lambda.send(new UpdateAliasCommand({ FunctionName: name, Name: alias, FunctionVersion: version })),
  );
}
