/**
 * Adyen Standard webhook fixtures written for Paylens (shapes follow Adyen's Webhooks-v1 spec:
 * `{live, notificationItems:[{NotificationRequestItem}]}`). Builders take overrides so each test
 * states only what it is about.
 */
import { createHmac } from 'node:crypto';

type Obj = Record<string, unknown>;

let counter = 0;
/** A 16-character reference shaped like Adyen's pspReference. */
const nextPsp = () => `PL${String(++counter).padStart(8, '0')}TEST82`;

export function adyenItem(overrides: Obj = {}, additionalData: Obj = {}): Obj {
  return {
    additionalData: {
      authCode: '071934',
      cardSummary: '1142',
      cardBin: '535110',
      expiryDate: '08/2031',
      fundingSource: 'DEBIT',
      issuerCountry: 'de',
      paymentMethodVariant: 'mcdebit',
      shopperEmail: 'Lena.Vogt@Post.example',
      shopperReference: 'shopper-4410',
      shopperIP: '198.51.100.23',
      'metadata.orderChannel': 'web',
      ...additionalData,
    },
    amount: { currency: 'EUR', value: 2599 },
    eventCode: 'AUTHORISATION',
    eventDate: '2024-11-20T09:15:30+01:00',
    merchantAccountCode: 'PaylensShopEU',
    merchantReference: 'order-7781',
    paymentMethod: 'mc',
    pspReference: nextPsp(),
    reason: '071934:1142:08/2031',
    success: 'true',
    ...overrides,
  };
}

/** A refused AUTHORISATION: Adyen puts the refusal reason text in `reason`. */
export function refusedItem(reason: string, overrides: Obj = {}, additionalData: Obj = {}): Obj {
  return adyenItem({ success: 'false', reason, ...overrides }, { authCode: undefined, ...additionalData });
}

/** A modification (capture, refund, cancel, chargeback …) of an earlier payment. */
export function modificationItem(
  eventCode: string,
  originalReference: string,
  overrides: Obj = {},
  additionalData: Obj = {},
): Obj {
  return {
    additionalData: { ...additionalData },
    amount: { currency: 'EUR', value: 2599 },
    eventCode,
    eventDate: '2024-11-21T10:00:00+01:00',
    merchantAccountCode: 'PaylensShopEU',
    merchantReference: 'order-7781',
    originalReference,
    paymentMethod: 'mc',
    pspReference: nextPsp(),
    reason: '',
    success: 'true',
    ...overrides,
  };
}

export function adyenDelivery(items: Obj[], live = 'false'): Obj {
  return { live, notificationItems: items.map((item) => ({ NotificationRequestItem: item })) };
}

/** Signs every item with a hex HMAC key the way Adyen does (computed here independently of the connector). */
export function signDelivery(delivery: Obj, hexKey: string): Obj {
  const items = (delivery.notificationItems as { NotificationRequestItem: Obj }[]).map(
    ({ NotificationRequestItem: item }) => {
      const amount = (item.amount ?? {}) as Obj;
      const fields = [
        item.pspReference,
        item.originalReference,
        item.merchantAccountCode,
        item.merchantReference,
        amount.value,
        amount.currency,
        item.eventCode,
        item.success,
      ];
      const signingString = fields.map((f) => (f === undefined || f === null ? '' : String(f))).join(':');
      const hmacSignature = createHmac('sha256', Buffer.from(hexKey, 'hex'))
        .update(signingString, 'utf8')
        .digest('base64');
      return {
        NotificationRequestItem: {
          ...item,
          additionalData: { ...((item.additionalData ?? {}) as Obj), hmacSignature },
        },
      };
    },
  );
  return { ...delivery, notificationItems: items };
}
