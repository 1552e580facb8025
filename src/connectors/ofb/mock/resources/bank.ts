/** The mock bank's own identity and the fixed catalogues its fixtures draw from. */
import { cnpj } from './documents.js';

export const BANK = {
  institution: 'ofmockbank_br_retail',
  brandName: 'OF Mock Bank',
  /** A syntactically valid CNPJ (check digits right) that belongs to no real institution we know of. */
  companyCnpj: cnpj('99887766'),
  /** Not assigned to a real STR participant as far as we know; three digits as the documents require. */
  compeCode: '998',
} as const;

/** Compe codes of real banks, for counterparties (Banco do Brasil, Bradesco, Itaú, Caixa, Nubank, Santander, Inter). */
export const COUNTERPART_BANKS = ['001', '237', '341', '104', '260', '033', '077'] as const;

/** Debit-card / credit-card merchants: name, MCC, amount range in cents. */
export interface Merchant {
  name: string;
  mcc: number;
  min: number;
  max: number;
}

export const MERCHANTS: readonly Merchant[] = [
  { name: 'Padaria Pao Quente', mcc: 5462, min: 800, max: 4500 },
  { name: 'Supermercado Bom Preco', mcc: 5411, min: 2500, max: 48000 },
  { name: 'Posto Ipiranga', mcc: 5541, min: 5000, max: 30000 },
  { name: 'Drogaria Sao Paulo', mcc: 5912, min: 1500, max: 22000 },
  { name: 'iFood', mcc: 5814, min: 2500, max: 12000 },
  { name: 'Uber do Brasil', mcc: 4121, min: 900, max: 7500 },
  { name: 'Restaurante Sabor Mineiro', mcc: 5812, min: 3500, max: 25000 },
  { name: 'Livraria Cultura', mcc: 5942, min: 3000, max: 20000 },
  { name: 'Lojas Renner', mcc: 5651, min: 6000, max: 60000 },
  { name: 'Magazine Luiza', mcc: 5732, min: 9000, max: 350000 },
];

/** Subscriptions charged monthly on credit cards. */
export const SUBSCRIPTIONS: readonly Merchant[] = [
  { name: 'Netflix', mcc: 4899, min: 3990, max: 5590 },
  { name: 'Spotify', mcc: 5815, min: 2190, max: 3490 },
  { name: 'Academia Smart Fit', mcc: 7997, min: 9990, max: 14990 },
];

/** Foreign merchants (USD), for international purchases with a BRL conversion. */
export const FOREIGN_MERCHANTS: readonly Merchant[] = [
  { name: 'Amazon.com', mcc: 5942, min: 1500, max: 12000 },
  { name: 'Steam Games', mcc: 5816, min: 500, max: 6000 },
  { name: 'Airbnb', mcc: 7011, min: 8000, max: 60000 },
];

export const EMPLOYERS = ['Tecnologia Aurora Ltda', 'Comercial Horizonte SA', 'Hospital Santa Clara', 'Construtora Vale Verde', 'Escola Nova Geracao'];
