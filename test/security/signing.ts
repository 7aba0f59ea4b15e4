import { execFileSync } from 'node:child_process';
import { createSign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mercadoPagoManifest } from '../../src/modules/normalize/connectors/mercadopago/mercadopago.signature.js';
import { paypalSignedMessage } from '../../src/modules/normalize/connectors/paypal/paypal.signature.js';
import { hmacSha256 } from '../../src/platform/crypto/hashing.js';

/** Mercado Pago's delivery headers, signed as its webhook doc describes (ts in milliseconds). */
export function mercadoPagoHeaders(
  secret: string,
  dataId: string,
  requestId: string,
  tsMillis: number,
): Record<string, string> {
  const ts = String(tsMillis);
  return {
    'x-request-id': requestId,
    'x-signature': `ts=${ts},v1=${hmacSha256(secret, mercadoPagoManifest(dataId, requestId, ts)).toString('hex')}`,
  };
}

export function stripeSignature(body: string, secret: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${hmacSha256(secret, `${unixSeconds}.${body}`).toString('hex')}`;
}

export interface PaypalSigner {
  /** Self-signed, named certs.paylens.test: trusted when an endpoint pins it or names it as its CA. */
  certificate: string;
  headers(input: {
    transmissionId: string;
    time: Date;
    webhookId: string;
    body: string | Buffer;
    certUrl?: string;
  }): Record<string, string>;
}

/** A throwaway PayPal-style signing key and certificate, made per run so no private key is in the repository. */
export function paypalSigner(): PaypalSigner {
  const dir = mkdtempSync(join(tmpdir(), 'paylens-paypal-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=certs.paylens.test',
      ],
      { stdio: 'ignore' },
    );
    const certificate = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    return {
      certificate,
      headers: ({ transmissionId, time, webhookId, body, certUrl }) => {
        // PayPal sends whole seconds.
        const sentAt = time.toISOString().replace(/\.\d{3}Z$/, 'Z');
        const message = paypalSignedMessage(
          transmissionId,
          sentAt,
          webhookId,
          Buffer.isBuffer(body) ? body : Buffer.from(body),
        );
        return {
          'paypal-transmission-id': transmissionId,
          'paypal-transmission-time': sentAt,
          'paypal-transmission-sig': createSign('RSA-SHA256').update(message).sign(key, 'base64'),
          'paypal-auth-algo': 'SHA256withRSA',
          ...(certUrl ? { 'paypal-cert-url': certUrl } : {}),
        };
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
