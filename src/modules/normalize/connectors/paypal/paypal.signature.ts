import { createVerify, X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { crc32 } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import {
  headerValue,
  MAX_DELIVERY_ID_LENGTH,
  outsideWindow,
  signatureTolerance,
  type VerifyInput,
  type VerifyResult,
} from '../../connector.js';
import { sha256Hex } from '../../../../platform/crypto/hashing.js';
import {
  jsonBody,
  OutboundError,
  withoutTrailingSlashes,
  type OutboundHttp,
} from '../../../../platform/net/outbound-client.js';

const defaultPaypalCertPrefixes = [
  'https://api.paypal.com/',
  'https://api-m.paypal.com/',
  'https://api.sandbox.paypal.com/',
  'https://api-m.sandbox.paypal.com/',
];

const HTTP_TIMEOUT_MS = 5000;
/** A PEM chain is a few kilobytes; anything much larger is not one. */
const MAX_CERTIFICATE_BYTES = 64 * 1024;

// A prefix must end at a path boundary, or `https://api.paypal.com` would also admit `https://api.paypal.com.evil.example`.
const urlPrefix = z
  .string()
  .url()
  .refine((p) => p.endsWith('/'), 'a certificate URL prefix must end with "/"');

const certificateSettings = z.object({
  webhookId: z.string().min(1),
  verification: z.literal('certificate').optional(),
  certificateSource: z
    .union([
      z.object({
        allowedUrlPrefixes: z.array(urlPrefix).min(1),
        /** PEM bundle of the CAs a downloaded certificate must chain to; Node's bundled public roots by default. */
        trustedCaPem: z.string().min(1).optional(),
        /** The certificate's common name must end with this; `.paypal.com` by default. */
        subjectSuffix: z.string().min(1).optional(),
      }),
      z.object({ pem: z.string().min(1) }),
    ])
    .optional(),
});

const postbackSettings = z.object({
  webhookId: z.string().min(1),
  verification: z.literal('postback'),
  apiBaseUrl: z.string().url(),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
});

/**
 * Endpoint settings of a PayPal webhook endpoint. PayPal signs with its own key, so there is no shared
 * secret: certificate mode ignores the endpoint's `secret`; postback mode uses it as the OAuth client
 * secret when `clientSecret` is not in the settings (so the secret can stay in the encrypted column).
 */
const paypalVerifySettingsSchema = z.union([postbackSettings, certificateSettings]);

const certCache = new LRUCache<string, X509Certificate[]>({ max: 64, ttl: 24 * 60 * 60 * 1000 });
let publicRoots: X509Certificate[] | null = null;
const PAYPAL_SUBJECT_SUFFIX = '.paypal.com';
const tokenCache = new LRUCache<string, string>({ max: 64, ttl: 60 * 1000 });

interface Transmission {
  id: string;
  time: string;
  sig: string;
  certUrl: string | null;
  authAlgo: string | null;
}

function readTransmission(headers: VerifyInput['headers']): Transmission | null {
  const id = headerValue(headers, 'paypal-transmission-id');
  const time = headerValue(headers, 'paypal-transmission-time');
  const sig = headerValue(headers, 'paypal-transmission-sig');
  if (!id || !time || !sig) return null;
  return {
    id,
    time,
    sig,
    certUrl: headerValue(headers, 'paypal-cert-url'),
    authAlgo: headerValue(headers, 'paypal-auth-algo'),
  };
}

/**
 * The signed message of PayPal's offline scheme: CRC32 of the raw bytes, as an unsigned decimal.
 * CRC32 is not a cryptographic hash: anyone holding one signed delivery can make another body with
 * the same CRC32 (four chosen bytes suffice). The transmission-time window and the transmission-id
 * dedupe bound that to an unseen transmission within the window; postback verification, where
 * PayPal checks the whole event, does not have the weakness.
 */
export function paypalSignedMessage(
  transmissionId: string,
  transmissionTime: string,
  webhookId: string,
  rawBody: Buffer,
): string {
  return `${transmissionId}|${transmissionTime}|${webhookId}|${crc32(rawBody) >>> 0}`;
}

function parsePemBundle(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (block) => new X509Certificate(block),
  );
}

/** The downloaded PEM: the signing certificate first, then any intermediates PayPal sends with it. */
async function fetchCertificates(url: string, http: OutboundHttp): Promise<X509Certificate[] | string> {
  const cached = certCache.get(url);
  if (cached) return cached;
  let res;
  try {
    res = await http.request(url, { timeoutMs: HTTP_TIMEOUT_MS, maxResponseBytes: MAX_CERTIFICATE_BYTES });
  } catch (error) {
    return `certificate download failed: ${error instanceof OutboundError ? error.message : 'unexpected error'}`;
  }
  if (res.status !== 200) return `certificate download answered HTTP ${res.status}`;
  try {
    const chain = parsePemBundle(res.body.toString('utf8'));
    if (chain.length === 0) return 'certificate URL did not return a PEM certificate';
    certCache.set(url, chain);
    return chain;
  } catch {
    return 'certificate URL did not return a PEM certificate';
  }
}

const issuedBy = (cert: X509Certificate, issuer: X509Certificate) =>
  cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
const validAt = (cert: X509Certificate, now: number) =>
  now >= Date.parse(cert.validFrom) && now <= Date.parse(cert.validTo);

function commonName(cert: X509Certificate): string | null {
  return /^CN=(.+)$/m.exec(cert.subject)?.[1] ?? null;
}

/**
 * What PayPal's SDKs check before trusting a downloaded certificate: its name is PayPal's, and it
 * chains, through the certificates sent with it, to a trusted CA, every link valid now. The TLS
 * download from an allowed host vouches for the URL; this vouches for the certificate itself.
 */
function checkChain(
  chain: X509Certificate[],
  anchors: X509Certificate[],
  subjectSuffix: string,
  now: number,
): string | null {
  const leaf = chain[0]!;
  const name = commonName(leaf);
  if (!name || !name.toLowerCase().endsWith(subjectSuffix.toLowerCase()))
    return `PayPal certificate subject ${name ?? '(none)'} does not end with ${subjectSuffix}`;
  let current = leaf;
  for (let depth = 0; depth <= chain.length; depth++) {
    if (!validAt(current, now)) return 'PayPal certificate is outside its validity period';
    if (anchors.some((anchor) => anchor.fingerprint256 === current.fingerprint256 || issuedBy(current, anchor)))
      return null;
    const issuer = chain.find((candidate) => candidate !== current && issuedBy(current, candidate));
    if (!issuer) break;
    current = issuer;
  }
  return 'PayPal certificate does not chain to a trusted CA';
}

async function certificateFor(
  settings: z.infer<typeof certificateSettings>,
  certUrl: string | null,
  now: number,
  http: OutboundHttp,
): Promise<X509Certificate | string> {
  const source = settings.certificateSource;
  if (source && 'pem' in source) {
    // A pinned certificate is trusted as configured: the operator chose it.
    try {
      return new X509Certificate(source.pem);
    } catch {
      return 'configured PEM is not a certificate';
    }
  }
  if (!certUrl) return 'missing PAYPAL-CERT-URL header';
  const prefixes = source?.allowedUrlPrefixes ?? defaultPaypalCertPrefixes;
  // Only a TLS-authenticated download from PayPal's own hosts makes the key PayPal's; any other URL is attacker-chosen.
  if (!prefixes.some((p) => certUrl.startsWith(p)))
    return 'PAYPAL-CERT-URL is not an allowed PayPal certificate location';
  const chain = await fetchCertificates(certUrl, http);
  if (typeof chain === 'string') return chain;
  let anchors: X509Certificate[];
  try {
    anchors = source?.trustedCaPem
      ? parsePemBundle(source.trustedCaPem)
      : (publicRoots ??= rootCertificates.map((pem) => new X509Certificate(pem)));
  } catch {
    return 'configured trustedCaPem is not a PEM bundle';
  }
  const problem = checkChain(chain, anchors, source?.subjectSuffix ?? PAYPAL_SUBJECT_SUFFIX, now);
  return problem ?? chain[0]!;
}

function signatureMatches(message: string, cert: X509Certificate, signature: string): boolean {
  try {
    return createVerify('RSA-SHA256').update(message).verify(cert.publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

async function verifyWithCertificate(
  input: VerifyInput,
  settings: z.infer<typeof certificateSettings>,
  t: Transmission,
): Promise<VerifyResult> {
  if (t.authAlgo && t.authAlgo !== 'SHA256withRSA')
    return { ok: false, reason: `unsupported PAYPAL-AUTH-ALGO ${t.authAlgo}` };
  const now = input.now.getTime();
  const cert = await certificateFor(settings, t.certUrl, now, input.http);
  if (typeof cert === 'string') return { ok: false, reason: cert };
  if (!validAt(cert, now)) return { ok: false, reason: 'PayPal certificate is outside its validity period' };
  const message = paypalSignedMessage(t.id, t.time, settings.webhookId, input.rawBody);
  return signatureMatches(message, cert, t.sig)
    ? { ok: true }
    : { ok: false, reason: 'PAYPAL-TRANSMISSION-SIG does not match' };
}

/** A PayPal answer we could not use, in our own words (safe to repeat to the caller). */
class PaypalAnswerError extends Error {}

async function accessToken(
  http: OutboundHttp,
  apiBaseUrl: string,
  clientId: string,
  clientSecret: string,
): Promise<string> {
  // The secret is part of the key so rotated (or wrong) credentials never ride on a token issued to others.
  const key = `${apiBaseUrl}|${clientId}|${sha256Hex(clientSecret)}`;
  const cached = tokenCache.get(key);
  if (cached) return cached;
  const res = await http.request(`${apiBaseUrl}/v1/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: 'grant_type=client_credentials',
    timeoutMs: HTTP_TIMEOUT_MS,
  });
  if (res.status !== 200) throw new PaypalAnswerError(`PayPal OAuth token request answered HTTP ${res.status}`);
  const body = (jsonBody(res) ?? {}) as { access_token?: unknown; expires_in?: unknown };
  if (typeof body.access_token !== 'string') throw new PaypalAnswerError('PayPal OAuth answer has no access_token');
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 0;
  // Refresh a minute early so a token never expires between the cache hit and PayPal's check.
  if (expiresIn > 60) tokenCache.set(key, body.access_token, { ttl: (expiresIn - 60) * 1000 });
  return body.access_token;
}

async function verifyByPostback(
  input: VerifyInput,
  settings: z.infer<typeof postbackSettings>,
  t: Transmission,
): Promise<VerifyResult> {
  const clientSecret = settings.clientSecret ?? input.secret;
  if (!clientSecret) return { ok: false, reason: 'postback verification needs a client secret' };
  let event: unknown;
  try {
    event = JSON.parse(input.rawBody.toString('utf8'));
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const base = withoutTrailingSlashes(settings.apiBaseUrl);
  try {
    const token = await accessToken(input.http, base, settings.clientId, clientSecret);
    const res = await input.http.request(`${base}/v1/notifications/verify-webhook-signature`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        auth_algo: t.authAlgo,
        cert_url: t.certUrl,
        transmission_id: t.id,
        transmission_sig: t.sig,
        transmission_time: t.time,
        webhook_id: settings.webhookId,
        webhook_event: event,
      }),
      timeoutMs: HTTP_TIMEOUT_MS,
    });
    if (res.status !== 200) return { ok: false, reason: `PayPal verify-webhook-signature answered HTTP ${res.status}` };
    const status = (jsonBody(res) as { verification_status?: unknown } | null)?.verification_status;
    // Only the two documented words are repeated back; anything else the remote said stays out of the answer.
    return status === 'SUCCESS'
      ? { ok: true }
      : { ok: false, reason: `PayPal verification_status is ${status === 'FAILURE' ? 'FAILURE' : 'not SUCCESS'}` };
  } catch (error) {
    return {
      ok: false,
      reason: `PayPal postback verification failed: ${error instanceof OutboundError || error instanceof PaypalAnswerError ? error.message : 'unexpected error'}`,
    };
  }
}

/**
 * Verifies a PayPal delivery with the scheme the endpoint's settings choose (offline certificate by
 * default). Either way the transmission time must be within the endpoint's tolerance, checked
 * before any download, and the transmission id is handed back to be remembered.
 */
export async function verifyPaypalWebhook(input: VerifyInput): Promise<VerifyResult> {
  const parsed = paypalVerifySettingsSchema.safeParse(input.settings);
  if (!parsed.success)
    return {
      ok: false,
      reason: `PayPal endpoint settings are invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    };
  const transmission = readTransmission(input.headers);
  if (!transmission) return { ok: false, reason: 'missing PAYPAL-TRANSMISSION-ID, -TIME or -SIG header' };
  if (transmission.id.length > MAX_DELIVERY_ID_LENGTH)
    return { ok: false, reason: 'PAYPAL-TRANSMISSION-ID is too long' };
  const tolerance = signatureTolerance(input.settings);
  const sentAt = Date.parse(transmission.time);
  const stale = outsideWindow(sentAt, input.now, tolerance, 'PAYPAL-TRANSMISSION-TIME');
  if (stale) return { ok: false, reason: stale };
  const settings = parsed.data;
  const verdict =
    settings.verification === 'postback'
      ? await verifyByPostback(input, settings, transmission)
      : await verifyWithCertificate(input, settings, transmission);
  return verdict.ok
    ? { ok: true, delivery: { id: transmission.id, freshUntil: new Date(sentAt + tolerance * 1000) } }
    : verdict;
}

/** The URLs these settings make Paylens call: the postback API, or the certificate locations. */
export function paypalOutboundUrls(settings: Record<string, unknown>): { field: string; url: string }[] {
  const urls: { field: string; url: string }[] = [];
  if (typeof settings.apiBaseUrl === 'string') urls.push({ field: 'apiBaseUrl', url: settings.apiBaseUrl });
  const source = settings.certificateSource;
  const prefixes =
    typeof source === 'object' && source !== null
      ? (source as { allowedUrlPrefixes?: unknown }).allowedUrlPrefixes
      : undefined;
  if (Array.isArray(prefixes)) {
    prefixes.forEach((prefix, i) => {
      if (typeof prefix === 'string') urls.push({ field: `certificateSource.allowedUrlPrefixes.${i}`, url: prefix });
    });
  }
  return urls;
}
