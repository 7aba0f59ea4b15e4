import { z } from 'zod';
import { AppError } from '../../platform/errors/app-error.js';
import { problemResponses, type App } from '../../platform/http/types.js';
import { paymentEventSchema } from '../normalize/index.js';
import { tenantOf } from '../tenancy/index.js';
import { paymentFlags, paymentStatuses } from './payment.domain.js';
import type { PaymentRepository } from './payment.repository.js';

export const paymentSchema = z.object({
  provider: z.string(),
  providerPaymentId: z.string(),
  status: z.enum(paymentStatuses),
  amountMinor: z.number().int(),
  currency: z.string(),
  capturedMinor: z.number().int(),
  refundedMinor: z.number().int(),
  flags: z.array(z.enum(paymentFlags)).describe('Inconsistencies between the events of this payment'),
  firstEventAt: z.string(),
  lastEventAt: z.string(),
});

/** What the payment routes use: the payment aggregates and their timelines. */
export interface PaymentRoutesDeps {
  payments: Pick<PaymentRepository, 'find' | 'timeline'>;
}

export async function paymentRoutes(app: App, { payments }: PaymentRoutesDeps): Promise<void> {
  app.get(
    '/payments/:provider/:providerPaymentId',
    {
      schema: {
        summary: 'A payment: its current state and the timeline of its events',
        description:
          'The state is folded from the events by provider time: a late event never moves a payment out of a terminal state (canceled, refunded, chargeback, dispute_won), and out-of-order arrival gives the same state as in-order.',
        tags: ['payments'],
        params: z.object({ provider: z.string().min(1).max(64), providerPaymentId: z.string().min(1).max(255) }),
        response: {
          200: z.object({ payment: paymentSchema, timeline: z.array(paymentEventSchema) }),
          ...problemResponses(401, 404),
        },
      },
    },
    async (request) => {
      const key = {
        tenantId: tenantOf(request),
        provider: request.params.provider,
        providerPaymentId: request.params.providerPaymentId,
      };
      const payment = await payments.find(key);
      if (!payment) throw new AppError('not_found', `No payment ${key.providerPaymentId} from ${key.provider}`);
      return { payment, timeline: await payments.timeline(key) };
    },
  );
}
