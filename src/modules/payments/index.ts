export { PaymentRepository } from './payment.repository.js';
export { paymentsHook } from './payments.hook.js';
export { paymentRoutes } from './payments.routes.js';
