/**
 * Where sandbox users spend money, per country: everyday merchants (picked at random each day,
 * by weight) and recurring bills (a fixed day each month). Amounts are in the country's own
 * currency at 2024 prices; `bank-drafts.ts` scales them by `priceIndex` (calendar) so data stays
 * plausible in later years. Categories and subcategories are values of Belvo's enums.
 */
import type { Country } from './people.js';

export type TxCategory =
  | 'Bills & Utilities'
  | 'Credits & Loans'
  | 'Deposits'
  | 'Fees & Charges'
  | 'Food & Groceries'
  | 'Home & Life'
  | 'Income & Payments'
  | 'Insurance'
  | 'Investments & Savings'
  | 'Online Platforms & Leisure'
  | 'Personal Shopping'
  | 'Taxes'
  | 'Transfers'
  | 'Transport & Travel'
  | 'Unknown'
  | 'Withdrawal & ATM';

/** `d`: debit card / checking only; `c`: credit card only; `b`: either. */
export type Channel = 'd' | 'c' | 'b';

export interface Merchant {
  name: string;
  website: string | null;
  /** What the bank statement prints. */
  desc: string;
  category: TxCategory;
  subcategory: string | null;
  min: number;
  max: number;
  weight: number;
  channel: Channel;
}

type Row = [string, string | null, string, TxCategory, string | null, number, number, number, Channel];
const rows = (list: Row[]): Merchant[] =>
  list.map(([name, website, desc, category, subcategory, min, max, weight, channel]) => ({
    name, website, desc, category, subcategory, min, max, weight, channel,
  }));

const MX: Merchant[] = rows([
  ['OXXO', 'https://www.oxxo.com', 'OXXO', 'Food & Groceries', 'Convenience Store', 25, 180, 14, 'b'],
  ['Walmart', 'https://www.walmart.com.mx', 'WALMART', 'Food & Groceries', 'Groceries', 250, 2200, 7, 'b'],
  ['Soriana', 'https://www.soriana.com', 'SORIANA', 'Food & Groceries', 'Groceries', 200, 1800, 5, 'b'],
  ['Chedraui', 'https://www.chedraui.com.mx', 'CHEDRAUI', 'Food & Groceries', 'Groceries', 180, 1600, 3, 'b'],
  ['La Comer', 'https://www.lacomer.com.mx', 'LA COMER', 'Food & Groceries', 'Groceries', 300, 2500, 3, 'b'],
  ['Starbucks', 'https://www.starbucks.com.mx', 'STARBUCKS', 'Food & Groceries', 'Bakery & Coffee', 65, 190, 6, 'b'],
  ['Panadería El Globo', 'https://www.elglobo.com.mx', 'EL GLOBO', 'Food & Groceries', 'Bakery & Coffee', 60, 250, 3, 'd'],
  ['Rappi', 'https://www.rappi.com.mx', 'RAPPI', 'Food & Groceries', 'Delivery', 150, 650, 6, 'c'],
  ['Uber Eats', 'https://www.ubereats.com', 'UBER EATS', 'Food & Groceries', 'Delivery', 120, 550, 4, 'c'],
  ['Sanborns', 'https://www.sanborns.com.mx', 'SANBORNS', 'Food & Groceries', 'Restaurants', 250, 900, 3, 'b'],
  ['Vips', 'https://www.vips.com.mx', 'VIPS', 'Food & Groceries', 'Restaurants', 200, 700, 3, 'b'],
  ['Toks', 'https://www.toks.com.mx', 'TOKS', 'Food & Groceries', 'Restaurants', 200, 750, 2, 'b'],
  ['Uber', 'https://www.uber.com', 'UBER TRIP', 'Transport & Travel', 'Taxis & Rideshares', 60, 350, 7, 'c'],
  ['DiDi', 'https://www.didiglobal.com', 'DIDI', 'Transport & Travel', 'Taxis & Rideshares', 50, 280, 4, 'c'],
  ['Pemex', 'https://www.pemex.com', 'GASOLINERA PEMEX', 'Transport & Travel', 'Gas', 400, 1200, 5, 'b'],
  ['Metrobús', 'https://www.metrobus.cdmx.gob.mx', 'RECARGA METROBUS', 'Transport & Travel', 'Public Transit', 50, 200, 2, 'd'],
  ['Pase Urbano', 'https://www.pase.com.mx', 'PASE TAG', 'Transport & Travel', 'Parking & Tolls', 100, 600, 2, 'c'],
  ['Aeroméxico', 'https://aeromexico.com', 'AEROMEXICO', 'Transport & Travel', 'Flights', 2500, 9000, 0.3, 'c'],
  ['Volaris', 'https://www.volaris.com', 'VOLARIS', 'Transport & Travel', 'Flights', 1500, 6000, 0.4, 'c'],
  ['Airbnb', 'https://www.airbnb.mx', 'AIRBNB', 'Transport & Travel', 'Accommodation', 1500, 7000, 0.3, 'c'],
  ['Liverpool', 'https://www.liverpool.com.mx', 'LIVERPOOL', 'Personal Shopping', 'Department Store', 500, 5000, 2, 'c'],
  ['Amazon México', 'https://www.amazon.com.mx', 'AMAZON MX', 'Personal Shopping', 'E-commerce', 150, 3000, 5, 'c'],
  ['Mercado Libre', 'https://www.mercadolibre.com.mx', 'MERCADOLIBRE', 'Personal Shopping', 'E-commerce', 150, 2500, 4, 'c'],
  ['Coppel', 'https://www.coppel.com', 'COPPEL', 'Personal Shopping', 'Department Store', 300, 3000, 1, 'b'],
  ['Zara', 'https://www.zara.com/mx', 'ZARA', 'Personal Shopping', 'Clothing & Accessories', 400, 2500, 1, 'c'],
  ['Steren', 'https://www.steren.com.mx', 'STEREN', 'Personal Shopping', 'Electronics', 100, 1200, 1, 'b'],
  ['Office Depot', 'https://www.officedepot.com.mx', 'OFFICE DEPOT', 'Personal Shopping', 'Office Supplies', 80, 900, 1, 'b'],
  ['Farmacias Guadalajara', 'https://www.farmaciasguadalajara.com', 'FARM GUADALAJARA', 'Home & Life', 'Pharmacies', 80, 900, 4, 'b'],
  ['Farmacias del Ahorro', 'https://www.fahorro.com', 'FARMACIAS DEL AHORRO', 'Home & Life', 'Pharmacies', 80, 800, 3, 'b'],
  ['The Home Depot', 'https://www.homedepot.com.mx', 'HOME DEPOT', 'Home & Life', 'Home Decor & Appliances', 200, 3500, 1, 'c'],
  ['Tintorería La Burbuja', null, 'TINTORERIA LA BURBUJA', 'Home & Life', 'Laundry & Dry Cleaning', 100, 400, 1, 'd'],
  ['Estética Bonita', null, 'ESTETICA BONITA', 'Home & Life', 'Hair & Beauty', 150, 600, 1, 'd'],
  ['Cinépolis', 'https://cinepolis.com', 'CINEPOLIS', 'Online Platforms & Leisure', 'Events, Parks and Museums', 120, 450, 2, 'b'],
  ['Ticketmaster', 'https://www.ticketmaster.com.mx', 'TICKETMASTER', 'Online Platforms & Leisure', 'Events, Parks and Museums', 600, 3500, 0.4, 'c'],
  ['Steam', 'https://store.steampowered.com', 'STEAM GAMES', 'Online Platforms & Leisure', 'Gaming', 100, 800, 0.5, 'c'],
  ['Apple', 'https://www.apple.com/mx', 'APPLE.COM/BILL', 'Online Platforms & Leisure', 'Apps, Software and Cloud Services', 29, 249, 1, 'c'],
  ['Cajero automático', null, 'RETIRO CAJERO', 'Withdrawal & ATM', null, 500, 3000, 2, 'd'],
]);

const CO: Merchant[] = rows([
  ['Éxito', 'https://www.exito.com', 'ALMACENES EXITO', 'Food & Groceries', 'Groceries', 40000, 450000, 7, 'b'],
  ['Carulla', 'https://www.carulla.com', 'CARULLA', 'Food & Groceries', 'Groceries', 50000, 400000, 4, 'b'],
  ['D1', 'https://www.d1.com.co', 'TIENDAS D1', 'Food & Groceries', 'Groceries', 15000, 180000, 6, 'd'],
  ['Ara', 'https://www.aratiendas.com', 'TIENDAS ARA', 'Food & Groceries', 'Groceries', 15000, 150000, 3, 'd'],
  ['Juan Valdez', 'https://www.juanvaldez.com', 'JUAN VALDEZ CAFE', 'Food & Groceries', 'Bakery & Coffee', 8000, 35000, 6, 'b'],
  ['Rappi', 'https://www.rappi.com.co', 'RAPPI', 'Food & Groceries', 'Delivery', 25000, 120000, 6, 'c'],
  ['Crepes & Waffles', 'https://www.crepesywaffles.com', 'CREPES Y WAFFLES', 'Food & Groceries', 'Restaurants', 40000, 180000, 3, 'b'],
  ['Frisby', 'https://www.frisby.com.co', 'FRISBY', 'Food & Groceries', 'Restaurants', 25000, 90000, 2, 'b'],
  ['Uber', 'https://www.uber.com', 'UBER TRIP', 'Transport & Travel', 'Taxis & Rideshares', 9000, 60000, 6, 'c'],
  ['DiDi', 'https://www.didiglobal.com', 'DIDI', 'Transport & Travel', 'Taxis & Rideshares', 8000, 45000, 3, 'c'],
  ['Terpel', 'https://www.terpel.com', 'EDS TERPEL', 'Transport & Travel', 'Gas', 60000, 220000, 4, 'b'],
  ['TransMilenio', 'https://www.transmilenio.gov.co', 'RECARGA TULLAVE', 'Transport & Travel', 'Public Transit', 10000, 50000, 3, 'd'],
  ['Avianca', 'https://www.avianca.com', 'AVIANCA', 'Transport & Travel', 'Flights', 300000, 1500000, 0.4, 'c'],
  ['Falabella', 'https://www.falabella.com.co', 'FALABELLA', 'Personal Shopping', 'Department Store', 80000, 900000, 2, 'c'],
  ['Mercado Libre', 'https://www.mercadolibre.com.co', 'MERCADOLIBRE', 'Personal Shopping', 'E-commerce', 30000, 500000, 4, 'c'],
  ['Amazon', 'https://www.amazon.com', 'AMAZON', 'Personal Shopping', 'E-commerce', 40000, 600000, 2, 'c'],
  ['Cruz Verde', 'https://www.cruzverde.com.co', 'DROGUERIA CRUZ VERDE', 'Home & Life', 'Pharmacies', 15000, 180000, 4, 'b'],
  ['Farmatodo', 'https://www.farmatodo.com.co', 'FARMATODO', 'Home & Life', 'Pharmacies', 12000, 150000, 3, 'b'],
  ['Homecenter', 'https://www.homecenter.com.co', 'HOMECENTER', 'Home & Life', 'Home Decor & Appliances', 40000, 800000, 1, 'c'],
  ['Cine Colombia', 'https://www.cinecolombia.com', 'CINE COLOMBIA', 'Online Platforms & Leisure', 'Events, Parks and Museums', 18000, 70000, 2, 'b'],
  ['Cajero automático', null, 'RETIRO CAJERO', 'Withdrawal & ATM', null, 100000, 600000, 2, 'd'],
]);

const BR: Merchant[] = rows([
  ['Pão de Açúcar', 'https://www.paodeacucar.com', 'PAO DE ACUCAR', 'Food & Groceries', 'Groceries', 40, 600, 6, 'b'],
  ['Carrefour', 'https://www.carrefour.com.br', 'CARREFOUR', 'Food & Groceries', 'Groceries', 50, 800, 5, 'b'],
  ['Assaí', 'https://www.assai.com.br', 'ASSAI ATACADISTA', 'Food & Groceries', 'Groceries', 80, 900, 3, 'b'],
  ['Padaria Real', null, 'PADARIA REAL', 'Food & Groceries', 'Bakery & Coffee', 8, 60, 7, 'b'],
  ['Starbucks', 'https://www.starbucks.com.br', 'STARBUCKS', 'Food & Groceries', 'Bakery & Coffee', 15, 45, 3, 'b'],
  ['iFood', 'https://www.ifood.com.br', 'IFOOD', 'Food & Groceries', 'Delivery', 30, 150, 8, 'c'],
  ['Outback', 'https://www.outback.com.br', 'OUTBACK', 'Food & Groceries', 'Restaurants', 90, 350, 2, 'c'],
  ['Uber', 'https://www.uber.com', 'UBER TRIP', 'Transport & Travel', 'Taxis & Rideshares', 12, 70, 6, 'c'],
  ['99', 'https://99app.com', '99 APP', 'Transport & Travel', 'Taxis & Rideshares', 10, 60, 4, 'c'],
  ['Shell', 'https://www.shell.com.br', 'POSTO SHELL', 'Transport & Travel', 'Gas', 100, 350, 4, 'b'],
  ['Metrô SP', 'https://www.metro.sp.gov.br', 'RECARGA BILHETE UNICO', 'Transport & Travel', 'Public Transit', 20, 100, 3, 'd'],
  ['LATAM', 'https://www.latamairlines.com', 'LATAM AIRLINES', 'Transport & Travel', 'Flights', 400, 2500, 0.4, 'c'],
  ['Magazine Luiza', 'https://www.magazineluiza.com.br', 'MAGALU', 'Personal Shopping', 'Department Store', 60, 2500, 2, 'c'],
  ['Mercado Livre', 'https://www.mercadolivre.com.br', 'MERCADOLIVRE', 'Personal Shopping', 'E-commerce', 30, 900, 4, 'c'],
  ['Amazon', 'https://www.amazon.com.br', 'AMAZON BR', 'Personal Shopping', 'E-commerce', 30, 1200, 3, 'c'],
  ['Drogasil', 'https://www.drogasil.com.br', 'DROGASIL', 'Home & Life', 'Pharmacies', 15, 250, 4, 'b'],
  ['Leroy Merlin', 'https://www.leroymerlin.com.br', 'LEROY MERLIN', 'Home & Life', 'Home Decor & Appliances', 50, 1500, 1, 'c'],
  ['Cinemark', 'https://www.cinemark.com.br', 'CINEMARK', 'Online Platforms & Leisure', 'Events, Parks and Museums', 25, 120, 2, 'b'],
  ['Caixa eletrônico', null, 'SAQUE 24H', 'Withdrawal & ATM', null, 50, 600, 2, 'd'],
]);

export const MERCHANTS: Record<Country, Merchant[]> = { MX, CO, BR };

/** A bill paid on a fixed day, every `every` months. */
export interface Bill extends Merchant {
  every: 1 | 2;
}

type BillRow = [string, string | null, string, TxCategory, string, number, number, 1 | 2, Channel];
const bills = (list: BillRow[]): Bill[] =>
  list.map(([name, website, desc, category, subcategory, min, max, every, channel]) => ({
    name, website, desc, category, subcategory, min, max, every, channel, weight: 1,
  }));

export const BILLS: Record<Country, Bill[]> = {
  MX: bills([
    ['CFE', 'https://www.cfe.mx', 'PAGO CFE SUMINISTRO', 'Bills & Utilities', 'Electricity & Energy', 300, 1500, 2, 'd'],
    ['Telmex', 'https://telmex.com', 'PAGO TELMEX', 'Bills & Utilities', 'Telecommunications', 389, 699, 1, 'd'],
    ['Telcel', 'https://www.telcel.com', 'TELCEL PLAN', 'Bills & Utilities', 'Telecommunications', 299, 599, 1, 'c'],
    ['SACMEX', 'https://www.sacmex.cdmx.gob.mx', 'PAGO AGUA SACMEX', 'Bills & Utilities', 'Water', 150, 600, 2, 'd'],
    ['Netflix', 'https://www.netflix.com', 'NETFLIX.COM', 'Online Platforms & Leisure', 'Movie & Audio', 219, 299, 1, 'c'],
    ['Spotify', 'https://www.spotify.com', 'SPOTIFY', 'Online Platforms & Leisure', 'Movie & Audio', 129, 129, 1, 'c'],
    ['Smart Fit', 'https://www.smartfit.com.mx', 'SMART FIT', 'Home & Life', 'Gyms & Fitness', 499, 699, 1, 'c'],
    ['GNP Seguros', 'https://www.gnp.com.mx', 'GNP SEGUROS GMM', 'Insurance', 'Health & Life Insurance', 900, 2500, 1, 'd'],
  ]),
  CO: bills([
    ['Enel Colombia', 'https://www.enel.com.co', 'PAGO ENEL CODENSA', 'Bills & Utilities', 'Electricity & Energy', 80000, 250000, 1, 'd'],
    ['Claro', 'https://www.claro.com.co', 'CLARO HOGAR', 'Bills & Utilities', 'Telecommunications', 90000, 180000, 1, 'd'],
    ['Movistar', 'https://www.movistar.co', 'MOVISTAR MOVIL', 'Bills & Utilities', 'Telecommunications', 45000, 90000, 1, 'c'],
    ['Acueducto de Bogotá', 'https://www.acueducto.com.co', 'PAGO ACUEDUCTO', 'Bills & Utilities', 'Water', 50000, 160000, 2, 'd'],
    ['Netflix', 'https://www.netflix.com', 'NETFLIX.COM', 'Online Platforms & Leisure', 'Movie & Audio', 26900, 44900, 1, 'c'],
    ['Spotify', 'https://www.spotify.com', 'SPOTIFY', 'Online Platforms & Leisure', 'Movie & Audio', 16900, 16900, 1, 'c'],
    ['Bodytech', 'https://www.bodytech.com.co', 'BODYTECH', 'Home & Life', 'Gyms & Fitness', 150000, 220000, 1, 'c'],
    ['Sura', 'https://www.sura.com', 'SEGUROS SURA', 'Insurance', 'Health & Life Insurance', 120000, 350000, 1, 'd'],
  ]),
  BR: bills([
    ['Enel', 'https://www.enel.com.br', 'ENEL DISTRIBUICAO', 'Bills & Utilities', 'Electricity & Energy', 120, 450, 1, 'd'],
    ['Vivo', 'https://www.vivo.com.br', 'VIVO FIBRA', 'Bills & Utilities', 'Telecommunications', 100, 200, 1, 'd'],
    ['Claro', 'https://www.claro.com.br', 'CLARO MOVEL', 'Bills & Utilities', 'Telecommunications', 50, 120, 1, 'c'],
    ['Sabesp', 'https://www.sabesp.com.br', 'SABESP', 'Bills & Utilities', 'Water', 60, 200, 1, 'd'],
    ['Netflix', 'https://www.netflix.com', 'NETFLIX.COM', 'Online Platforms & Leisure', 'Movie & Audio', 20.9, 59.9, 1, 'c'],
    ['Spotify', 'https://www.spotify.com', 'SPOTIFY', 'Online Platforms & Leisure', 'Movie & Audio', 21.9, 21.9, 1, 'c'],
    ['Smart Fit', 'https://www.smartfit.com.br', 'SMART FIT', 'Home & Life', 'Gyms & Fitness', 99.9, 149.9, 1, 'c'],
    ['Porto Seguro', 'https://www.portoseguro.com.br', 'PORTO SEGURO AUTO', 'Insurance', 'Auto Insurance', 150, 400, 1, 'd'],
  ]),
};

/** What a business account pays and receives (Mexico's business bank is the only one today). */
export const BUSINESS_SUPPLIERS: Merchant[] = rows([
  ['Telmex', 'https://telmex.com', 'PAGO TELMEX NEGOCIO', 'Bills & Utilities', 'Telecommunications', 900, 3500, 1, 'd'],
  ['Office Depot', 'https://www.officedepot.com.mx', 'OFFICE DEPOT', 'Personal Shopping', 'Office Supplies', 500, 9000, 2, 'b'],
  ['Amazon México', 'https://www.amazon.com.mx', 'AMAZON MX', 'Personal Shopping', 'E-commerce', 300, 12000, 2, 'c'],
  ['Pemex', 'https://www.pemex.com', 'GASOLINERA PEMEX', 'Transport & Travel', 'Gas', 800, 4000, 3, 'b'],
  ['DHL', 'https://www.dhl.com/mx', 'DHL EXPRESS', 'Transport & Travel', 'Other', 300, 5000, 2, 'c'],
  ['Google', 'https://workspace.google.com', 'GOOGLE WORKSPACE', 'Online Platforms & Leisure', 'Apps, Software and Cloud Services', 600, 4000, 1, 'c'],
  ['Amazon Web Services', 'https://aws.amazon.com', 'AWS EMEA', 'Online Platforms & Leisure', 'Apps, Software and Cloud Services', 1500, 25000, 1, 'c'],
  ['Aeroméxico', 'https://aeromexico.com', 'AEROMEXICO', 'Transport & Travel', 'Flights', 3000, 15000, 0.5, 'c'],
  ['Sanborns', 'https://www.sanborns.com.mx', 'SANBORNS', 'Food & Groceries', 'Restaurants', 400, 3000, 2, 'c'],
]);
