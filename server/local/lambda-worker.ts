/**
 * One warm "container" of the local Lambda runner: a child process that imports the real
 * handler once and runs one invocation at a time, as Lambda does. The parent kills it at the
 * function's deadline, exactly as Lambda would, and invokes the continuations it asks for.
 */
import { handler } from "../../lambda/handler.ts";

type Invocation = { requestId: string; event: unknown; deadline: number };

process.on("message", (message: Invocation) => {
  const context = {
    awsRequestId: message.requestId,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    // A continuation is invoked by the runner, asynchronously, as Lambda's Invoke would.
    continueWith: (event: unknown) => new Promise<void>((resolve, reject) => process.send?.({ requestId: message.requestId, continue: event }, undefined, undefined, (err: Error | null) => (err ? reject(err) : resolve()))),
  };
  handler(message.event, context).then(
    (result) => process.send?.({ requestId: message.requestId, ok: true, result }),
    (err: Error) => process.send?.({ requestId: message.requestId, ok: false, error: { name: err?.name, message: err?.message } }),
  );
});
process.send?.({ ready: true });
