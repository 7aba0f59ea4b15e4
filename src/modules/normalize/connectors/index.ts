import type { Connector } from '../connector.js';
import { stripeConnector } from './stripe/stripe.connector.js';
import { adyenConnector } from './adyen/adyen.connector.js';
import { checkoutConnector } from './checkout/checkout.connector.js';
import { paypalConnector } from './paypal/paypal.connector.js';
import { mercadoPagoConnector } from './mercadopago/mercadopago.connector.js';

/** Every first-class connector; detection tries them all. */
export const allConnectors: Connector[] = [
  stripeConnector,
  paypalConnector,
  mercadoPagoConnector,
  adyenConnector,
  checkoutConnector,
];
