import type { Connector } from '../connector.js';
import { stripeConnector } from './stripe/stripe.connector.js';

/** Every first-class connector; detection tries them all. */
export const allConnectors: Connector[] = [stripeConnector];
