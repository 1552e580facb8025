/**
 * How each country's banks word their statement lines: the descriptions of salary, rent,
 * transfers, card and loan payments, fees and interest, and the concepts people type on
 * transfers. Only the drafts (`bank-drafts.ts`) use them.
 */
import type { Country } from './people.js';

export interface Labels {
  debit: string;
  salary: (employer: string) => string;
  rent: string;
  transferOut: (name: string) => string;
  transferIn: (name: string) => string;
  cardPayment: (last4: string) => string;
  cardPaymentReceived: string;
  loanPayment: (k: number, of: number) => string;
  loanDisbursement: string;
  loanInterest: string;
  interest: string;
  yield: string;
  fee: string;
  annualFee: string;
  deposit: string;
  toAccount: (last4: string) => string;
  fromAccount: (last4: string) => string;
  concepts: string[];
}

export const LABELS: Record<Country, Labels> = {
  MX: {
    debit: 'COMPRA TDD ',
    salary: (e) => `DEPOSITO DE NOMINA ${e}`,
    rent: 'PAGO DE RENTA',
    transferOut: (n) => `SPEI ENVIADO ${n}`,
    transferIn: (n) => `SPEI RECIBIDO ${n}`,
    cardPayment: (l) => `PAGO TARJETA DE CREDITO ****${l}`,
    cardPaymentReceived: 'SU PAGO GRACIAS',
    loanPayment: (k, of) => `PAGO CREDITO MENSUALIDAD ${k}/${of}`,
    loanDisbursement: 'DISPOSICION DE CREDITO',
    loanInterest: 'INTERESES DEL CREDITO POR DEVENGAR',
    interest: 'INTERESES GANADOS',
    yield: 'RENDIMIENTO INVERSION',
    fee: 'COMISION MANEJO DE CUENTA',
    annualFee: 'CUOTA ANUAL TARJETA',
    deposit: 'DEPOSITO EN EFECTIVO',
    toAccount: (l) => `TRASPASO A CUENTA ****${l}`,
    fromAccount: (l) => `TRASPASO DE CUENTA ****${l}`,
    concepts: ['Renta', 'Comida', 'Préstamo', 'Regalo', 'Cooperación', 'Servicios', 'Pago'],
  },
  CO: {
    debit: 'COMPRA EN ',
    salary: (e) => `PAGO NOMINA ${e}`,
    rent: 'PAGO ARRIENDO',
    transferOut: (n) => `TRANSFERENCIA A ${n}`,
    transferIn: (n) => `TRANSFERENCIA DE ${n}`,
    cardPayment: (l) => `PAGO TARJETA CREDITO ****${l}`,
    cardPaymentReceived: 'PAGO RECIBIDO GRACIAS',
    loanPayment: (k, of) => `PAGO CUOTA CREDITO ${k}/${of}`,
    loanDisbursement: 'DESEMBOLSO CREDITO',
    loanInterest: 'INTERESES CREDITO POR CAUSAR',
    interest: 'ABONO INTERESES AHORRO',
    yield: 'RENDIMIENTOS INVERSION',
    fee: 'CUOTA DE MANEJO',
    annualFee: 'CUOTA DE MANEJO TARJETA',
    deposit: 'CONSIGNACION EN EFECTIVO',
    toAccount: (l) => `TRASLADO A CUENTA ****${l}`,
    fromAccount: (l) => `TRASLADO DE CUENTA ****${l}`,
    concepts: ['Arriendo', 'Almuerzo', 'Préstamo', 'Regalo', 'Servicios', 'Pago'],
  },
  BR: {
    debit: 'COMPRA CARTAO DEB ',
    salary: (e) => `CREDITO SALARIO ${e}`,
    rent: 'PAGAMENTO ALUGUEL',
    transferOut: (n) => `PIX ENVIADO ${n}`,
    transferIn: (n) => `PIX RECEBIDO ${n}`,
    cardPayment: (l) => `PAGAMENTO FATURA CARTAO ****${l}`,
    cardPaymentReceived: 'PAGAMENTO RECEBIDO',
    loanPayment: (k, of) => `PARCELA EMPRESTIMO ${k}/${of}`,
    loanDisbursement: 'LIBERACAO DE EMPRESTIMO',
    loanInterest: 'JUROS DO CONTRATO',
    interest: 'RENDIMENTO POUPANCA',
    yield: 'RENDIMENTO APLICACAO',
    fee: 'TARIFA PACOTE DE SERVICOS',
    annualFee: 'ANUIDADE CARTAO',
    deposit: 'DEPOSITO EM DINHEIRO',
    toAccount: (l) => `TRANSFERENCIA PARA CONTA ****${l}`,
    fromAccount: (l) => `TRANSFERENCIA DA CONTA ****${l}`,
    concepts: ['Aluguel', 'Almoço', 'Empréstimo', 'Presente', 'Serviços', 'Pagamento'],
  },
};
