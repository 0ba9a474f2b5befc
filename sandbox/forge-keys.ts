import { randomUUID } from "node:crypto";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * Forge's signing keys for invocation tokens: RS256 key pairs, each with a `kid`, the public
 * halves published as a JWKS. The current key signs; rotating makes a new one current and
 * keeps (keepOld) or withdraws the old public key. Keys live in memory only: after a restart
 * there is a new key, which a remote finds by fetching the JWKS again for the unknown `kid`.
 * A key is generated when first needed, so a sandbox that never plays Forge pays nothing.
 */
export class ForgeKeys {
  private current: Promise<SigningKey> | undefined;
  /** Every key whose public half is published, current included. */
  private published: Promise<SigningKey>[] = [];

  async jwks(): Promise<{ keys: JWK[] }> {
    this.ensure();
    const keys = await Promise.all(this.published);
    return { keys: keys.map((k) => k.publicJwk) };
  }

  rotate(opts: { keepOld?: boolean } = {}): Promise<void> {
    const next = newKey();
    this.published = opts.keepOld ? [...this.published, next] : [next];
    this.current = next;
    return next.then(() => {});
  }

  /** A JWS compact token over `claims`, header `{alg: RS256, kid, typ: JWT}`. */
  async sign(claims: Record<string, unknown>): Promise<string> {
    const key = await this.ensure();
    return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" }).sign(key.privateKey);
  }

  private ensure(): Promise<SigningKey> {
    if (!this.current) {
      this.current = newKey();
      this.published = [this.current];
    }
    return this.current;
  }
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = await exportJWK(publicKey);
  return { kid, privateKey, publicJwk: { kty: jwk.kty, n: jwk.n, e: jwk.e, kid, alg: "RS256", use: "sig" } };
}
