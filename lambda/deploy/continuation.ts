import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { z } from "zod";

/**
 * A deploy handed on to a fresh run of the deployer (docs/architecture.md, "Deploys that outlive
 * the function"). The event names the staged archive and the token the handing-off run wrote into
 * the deploy record; only a run that presents that token (or, once the hand-off's lease has
 * passed, any retry) can take the deploy over.
 */
export const ContinuationEventSchema = z.object({
  hoist: z.literal("continue-deploy"),
  bucket: z.string().min(1),
  key: z.string().min(1),
  siteId: z.string().min(1),
  deployId: z.string().min(1),
  token: z.string().min(1),
  /** 1 for the first continuation. */
  continuation: z.number().int().positive(),
});
export type ContinuationEvent = z.infer<typeof ContinuationEventSchema>;

/** Starts a continuation asynchronously; resolves once it is queued, not when it ends. */
export type Continue = (event: ContinuationEvent) => Promise<void>;

/**
 * In AWS: an asynchronous Invoke of the function (and alias) that is running now, so the
 * continuation gets Lambda's own retries after a crash. The execution role allows exactly this
 * (infra/template.yaml, InvokeItself).
 */
export function invokeItself(lambda: LambdaClient, invokedFunctionArn: string): Continue {
  return async (event) => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: invokedFunctionArn, InvocationType: "Event", Payload: Buffer.from(JSON.stringify(event)) }));
    if (out.StatusCode !== 202) throw new Error(`Lambda did not queue the continuation (status ${out.StatusCode})`);
  };
}
