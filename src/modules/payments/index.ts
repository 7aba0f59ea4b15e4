export { createPayments } from './payments.factory.js';
export { paymentRoutes } from './payments.routes.js';
export type { PaymentRoutesDeps } from './payments.routes.js';
export { eraseCustomerPayments } from './payment-erasure.js';
