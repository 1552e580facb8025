/**
 * Fictional people, companies and addresses for Mexico, Colombia and Brazil. Names are common
 * ones (so data looks real) combined at random (so nobody real is described); companies and
 * street numbers are invented.
 */
import { officialCase, firstInnerVowel, firstInnerConsonant, type PersonName } from './documents.js';
import type { Rng } from './random.js';

export type Country = 'MX' | 'CO' | 'BR';
export type Sex = 'H' | 'M';

const MX_MALE = [
  'José', 'Juan', 'Luis', 'Carlos', 'Miguel', 'Jorge', 'Alejandro', 'Eduardo', 'Fernando', 'Ricardo',
  'Roberto', 'Javier', 'Daniel', 'Sergio', 'Raúl', 'Arturo', 'Héctor', 'Óscar', 'Pablo', 'Andrés',
  'Emilio', 'Gerardo', 'Iván', 'Kevin', 'Ulises', 'Víctor', 'Nicolás', 'Mauricio', 'Tomás', 'Benjamín',
];
const MX_FEMALE = [
  'María', 'Guadalupe', 'Ana', 'Laura', 'Patricia', 'Gabriela', 'Verónica', 'Alejandra', 'Daniela', 'Fernanda',
  'Mariana', 'Sofía', 'Valeria', 'Claudia', 'Adriana', 'Elena', 'Isabel', 'Lucía', 'Rocío', 'Teresa',
  'Ximena', 'Brenda', 'Karla', 'Natalia', 'Olivia', 'Regina', 'Irene', 'Yolanda', 'Esther', 'Ursula',
];
const MX_SURNAMES = [
  'Hernández', 'García', 'Martínez', 'López', 'González', 'Pérez', 'Rodríguez', 'Sánchez', 'Ramírez', 'Cruz',
  'Flores', 'Gómez', 'Morales', 'Vázquez', 'Reyes', 'Jiménez', 'Torres', 'Díaz', 'Gutiérrez', 'Ruiz',
  'Mendoza', 'Aguilar', 'Ortiz', 'Moreno', 'Castillo', 'Romero', 'Álvarez', 'Méndez', 'Chávez', 'Rivera',
  'Juárez', 'Ramos', 'Domínguez', 'Herrera', 'Medina', 'Castro', 'Vargas', 'Guzmán', 'Velázquez', 'Muñoz',
  'Rojas', 'Contreras', 'Salazar', 'Luna', 'Ortega', 'Santiago', 'Guerrero', 'Bautista', 'Cortés', 'Soto',
  'Estrada', 'Nava', 'Espinoza', 'Fuentes', 'Ibarra', 'Kuri', 'Lara', 'Navarro', 'Orozco', 'Pacheco',
  'Quintero', 'Uribe', 'Valdez', 'Yáñez', 'Zamora', 'Becerra', 'Acosta', 'Ávila', 'Escobar', 'Tapia',
];
const CO_MALE = ['Andrés', 'Juan', 'Carlos', 'Santiago', 'Sebastián', 'Felipe', 'Camilo', 'Mateo', 'Diego', 'Julián', 'Alejandro', 'Jorge', 'Luis', 'Nicolás', 'David'];
const CO_FEMALE = ['Valentina', 'Daniela', 'Camila', 'Laura', 'Natalia', 'Paula', 'Catalina', 'Manuela', 'Carolina', 'Andrea', 'Juliana', 'Mariana', 'Sara', 'Luisa', 'Isabella'];
const CO_SURNAMES = ['Rodríguez', 'Gómez', 'González', 'Martínez', 'García', 'López', 'Hernández', 'Sánchez', 'Ramírez', 'Pérez', 'Díaz', 'Muñoz', 'Rojas', 'Moreno', 'Jiménez', 'Vargas', 'Castro', 'Ortiz', 'Restrepo', 'Ospina', 'Cárdenas', 'Londoño', 'Zapata', 'Valencia', 'Arango'];
const BR_MALE = ['João', 'Pedro', 'Lucas', 'Gabriel', 'Rafael', 'Mateus', 'Gustavo', 'Felipe', 'Bruno', 'Thiago', 'Rodrigo', 'André', 'Marcelo', 'Eduardo', 'Leonardo'];
const BR_FEMALE = ['Ana', 'Maria', 'Juliana', 'Mariana', 'Beatriz', 'Larissa', 'Camila', 'Fernanda', 'Letícia', 'Amanda', 'Bruna', 'Patrícia', 'Aline', 'Carolina', 'Isabela'];
const BR_SURNAMES = ['Silva', 'Santos', 'Oliveira', 'Souza', 'Rodrigues', 'Ferreira', 'Alves', 'Pereira', 'Lima', 'Gomes', 'Costa', 'Ribeiro', 'Martins', 'Carvalho', 'Almeida', 'Lopes', 'Soares', 'Fernandes', 'Vieira', 'Barbosa', 'Rocha', 'Dias', 'Nascimento', 'Moreira', 'Cardoso'];

const FIRST: Record<Country, Record<Sex, string[]>> = {
  MX: { H: MX_MALE, M: MX_FEMALE },
  CO: { H: CO_MALE, M: CO_FEMALE },
  BR: { H: BR_MALE, M: BR_FEMALE },
};
const SURNAMES: Record<Country, string[]> = { MX: MX_SURNAMES, CO: CO_SURNAMES, BR: BR_SURNAMES };

export interface Person extends PersonName {
  sex: Sex;
  /** As the person signs: "Laura Martínez Ortiz" (Brazil: "Laura Ortiz Martínez", mother's name first). */
  display: string;
}

function display(country: Country, name: PersonName): string {
  return country === 'BR'
    ? `${name.first} ${name.maternal} ${name.paternal}`
    : `${name.first} ${name.paternal} ${name.maternal}`;
}

export function person(r: Rng, country: Country, sex: Sex = r.chance(0.5) ? 'H' : 'M'): Person {
  const surnames = SURNAMES[country];
  const name = { first: r.pick(FIRST[country][sex]), paternal: r.pick(surnames), maternal: r.pick(surnames) };
  return { ...name, sex, display: display(country, name) };
}

/**
 * A Mexican person whose name agrees with the letters of an RFC or CURP the user typed: RENAPO
 * builds those letters from the name, so a name that contradicts them would look wrong. Each
 * constraint is relaxed when no listed name satisfies it.
 */
export function mexicanPersonMatching(r: Rng, key: string, sex: Sex, consonants?: string): Person {
  const k = officialCase(key);
  const firstNames = FIRST.MX[sex];
  const pickBy = (list: string[], tests: ((w: string) => boolean)[]): string => {
    for (let n = tests.length; n >= 0; n--) {
      const found = list.filter((w) => tests.slice(0, n).every((t) => t(w)));
      if (found.length > 0) return r.pick(found);
    }
    return r.pick(list);
  };
  const paternal = pickBy(MX_SURNAMES, [
    (w) => officialCase(w)[0] === k[0],
    (w) => firstInnerVowel(w) === k[1],
    (w) => !consonants || firstInnerConsonant(w) === consonants[0],
  ]);
  const maternal = pickBy(MX_SURNAMES, [
    (w) => officialCase(w)[0] === k[2],
    (w) => !consonants || firstInnerConsonant(w) === consonants[1],
  ]);
  const first = pickBy(firstNames, [
    (w) => officialCase(w)[0] === k[3],
    (w) => !consonants || firstInnerConsonant(w) === consonants[2],
  ]);
  const name = { first, paternal, maternal };
  return { ...name, sex, display: display('MX', name) };
}

/** ASCII, lower-case, for e-mail local parts. */
export function asciiSlug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '.')
    .replace(/^\.|\.$/g, '');
}

const MAIL_DOMAINS: Record<Country, string[]> = {
  MX: ['correo.mx', 'mail.com.mx', 'example.mx'],
  CO: ['correo.co', 'mail.com.co', 'example.co'],
  BR: ['email.com.br', 'correio.com.br', 'example.com.br'],
};

export function email(r: Rng, country: Country, name: PersonName): string {
  const local = `${asciiSlug(name.first)}.${asciiSlug(name.paternal)}${r.chance(0.5) ? r.int(1, 99) : ''}`;
  return `${local}@${r.pick(MAIL_DOMAINS[country])}`;
}

export function phone(r: Rng, country: Country): string {
  switch (country) {
    case 'MX':
    {
      // Ten digits in all: a 2-digit area code (CDMX, GDL, MTY) leaves 8, a 3-digit one leaves 7.
      const area = r.pick(['55', '33', '81', '222', '442']);
      return area.length === 2 ? `+52 ${area} ${r.digits(4)} ${r.digits(4)}` : `+52 ${area} ${r.digits(3)} ${r.digits(4)}`;
    }
    case 'CO':
      return `+57 3${r.int(0, 2)}${r.int(0, 9)} ${r.digits(3)} ${r.digits(4)}`;
    case 'BR':
      return `+55 ${r.pick(['11', '21', '31', '41', '51', '61'])} 9${r.digits(4)}-${r.digits(4)}`;
  }
}

export interface Address {
  street: string;
  exterior: string;
  interior: string | null;
  neighbourhood: string;
  municipality: string;
  city: string;
  state: string;
  /** State code (CURP codes for Mexico, UF for Brazil). */
  stateCode: string;
  postalCode: string;
  /** One line, as a bank shows it. */
  line: string;
}

interface Place {
  neighbourhood: string;
  municipality: string;
  city: string;
  state: string;
  stateCode: string;
  postal: string;
}

const MX_PLACES: Place[] = [
  { neighbourhood: 'Del Valle', municipality: 'Benito Juárez', city: 'Ciudad de México', state: 'CIUDAD DE MEXICO', stateCode: 'DF', postal: '03100' },
  { neighbourhood: 'Roma Norte', municipality: 'Cuauhtémoc', city: 'Ciudad de México', state: 'CIUDAD DE MEXICO', stateCode: 'DF', postal: '06700' },
  { neighbourhood: 'Coyoacán Centro', municipality: 'Coyoacán', city: 'Ciudad de México', state: 'CIUDAD DE MEXICO', stateCode: 'DF', postal: '04000' },
  { neighbourhood: 'Polanco', municipality: 'Miguel Hidalgo', city: 'Ciudad de México', state: 'CIUDAD DE MEXICO', stateCode: 'DF', postal: '11550' },
  { neighbourhood: 'Providencia', municipality: 'Guadalajara', city: 'Guadalajara', state: 'JALISCO', stateCode: 'JC', postal: '44630' },
  { neighbourhood: 'Chapalita', municipality: 'Zapopan', city: 'Zapopan', state: 'JALISCO', stateCode: 'JC', postal: '45040' },
  { neighbourhood: 'Del Valle', municipality: 'San Pedro Garza García', city: 'San Pedro Garza García', state: 'NUEVO LEON', stateCode: 'NL', postal: '66220' },
  { neighbourhood: 'Centro', municipality: 'Monterrey', city: 'Monterrey', state: 'NUEVO LEON', stateCode: 'NL', postal: '64000' },
  { neighbourhood: 'La Paz', municipality: 'Puebla', city: 'Puebla', state: 'PUEBLA', stateCode: 'PL', postal: '72160' },
  { neighbourhood: 'Juriquilla', municipality: 'Querétaro', city: 'Santiago de Querétaro', state: 'QUERETARO', stateCode: 'QT', postal: '76230' },
  { neighbourhood: 'Satélite', municipality: 'Naucalpan de Juárez', city: 'Naucalpan', state: 'ESTADO DE MEXICO', stateCode: 'MC', postal: '53100' },
  { neighbourhood: 'García Ginerés', municipality: 'Mérida', city: 'Mérida', state: 'YUCATAN', stateCode: 'YN', postal: '97070' },
];
const MX_STREETS = ['Av. Insurgentes Sur', 'Calle Durango', 'Av. Revolución', 'Calle Morelos', 'Av. Juárez', 'Calle Hidalgo', 'Av. Universidad', 'Calle Reforma', 'Calle Allende', 'Av. Vallarta', 'Calle Zaragoza', 'Av. Constitución'];

const CO_PLACES: Place[] = [
  { neighbourhood: 'Chapinero', municipality: 'Bogotá', city: 'Bogotá', state: 'Bogotá D.C.', stateCode: 'DC', postal: '110231' },
  { neighbourhood: 'Usaquén', municipality: 'Bogotá', city: 'Bogotá', state: 'Bogotá D.C.', stateCode: 'DC', postal: '110111' },
  { neighbourhood: 'El Poblado', municipality: 'Medellín', city: 'Medellín', state: 'Antioquia', stateCode: 'ANT', postal: '050021' },
  { neighbourhood: 'Laureles', municipality: 'Medellín', city: 'Medellín', state: 'Antioquia', stateCode: 'ANT', postal: '050031' },
  { neighbourhood: 'Granada', municipality: 'Cali', city: 'Cali', state: 'Valle del Cauca', stateCode: 'VAC', postal: '760045' },
  { neighbourhood: 'El Prado', municipality: 'Barranquilla', city: 'Barranquilla', state: 'Atlántico', stateCode: 'ATL', postal: '080001' },
];

const BR_PLACES: Place[] = [
  { neighbourhood: 'Consolação', municipality: 'São Paulo', city: 'São Paulo', state: 'São Paulo', stateCode: 'SP', postal: '01304-001' },
  { neighbourhood: 'Pinheiros', municipality: 'São Paulo', city: 'São Paulo', state: 'São Paulo', stateCode: 'SP', postal: '05422-010' },
  { neighbourhood: 'Copacabana', municipality: 'Rio de Janeiro', city: 'Rio de Janeiro', state: 'Rio de Janeiro', stateCode: 'RJ', postal: '22070-011' },
  { neighbourhood: 'Savassi', municipality: 'Belo Horizonte', city: 'Belo Horizonte', state: 'Minas Gerais', stateCode: 'MG', postal: '30140-071' },
  { neighbourhood: 'Batel', municipality: 'Curitiba', city: 'Curitiba', state: 'Paraná', stateCode: 'PR', postal: '80420-090' },
  { neighbourhood: 'Moinhos de Vento', municipality: 'Porto Alegre', city: 'Porto Alegre', state: 'Rio Grande do Sul', stateCode: 'RS', postal: '90570-001' },
];
const BR_STREETS = ['Rua Augusta', 'Avenida Paulista', 'Rua da Consolação', 'Rua Oscar Freire', 'Avenida Atlântica', 'Rua XV de Novembro', 'Rua dos Pinheiros', 'Avenida Brasil'];

export function address(r: Rng, country: Country): Address {
  switch (country) {
    case 'MX': {
      const p = r.pick(MX_PLACES);
      const street = r.pick(MX_STREETS);
      const exterior = String(r.int(1, 2900));
      const interior = r.chance(0.4) ? `Depto. ${r.int(1, 12)}0${r.int(1, 4)}` : null;
      const line = `${street} ${exterior}${interior ? `, ${interior}` : ''}, Col. ${p.neighbourhood}, ${p.municipality}, ${p.postal} ${p.city}`;
      return { street, exterior, interior, neighbourhood: p.neighbourhood, municipality: p.municipality, city: p.city, state: p.state, stateCode: p.stateCode, postalCode: p.postal, line };
    }
    case 'CO': {
      const p = r.pick(CO_PLACES);
      const street = `${r.pick(['Calle', 'Carrera', 'Avenida Calle', 'Diagonal', 'Transversal'])} ${r.int(1, 150)}`;
      const exterior = `# ${r.int(1, 120)}-${r.int(1, 99)}`;
      const interior = r.chance(0.5) ? `Apto ${r.int(1, 20)}0${r.int(1, 4)}` : null;
      const line = `${street} ${exterior}${interior ? ` ${interior}` : ''}, ${p.neighbourhood}, ${p.city}, ${p.state}`;
      return { street, exterior, interior, neighbourhood: p.neighbourhood, municipality: p.municipality, city: p.city, state: p.state, stateCode: p.stateCode, postalCode: p.postal, line };
    }
    case 'BR': {
      const p = r.pick(BR_PLACES);
      const street = r.pick(BR_STREETS);
      const exterior = String(r.int(10, 3000));
      const interior = r.chance(0.5) ? `Apto ${r.int(1, 25)}${r.int(0, 1)}${r.int(1, 4)}` : null;
      const line = `${street}, ${exterior}${interior ? `, ${interior}` : ''}, ${p.neighbourhood}, ${p.city} - ${p.stateCode}, ${p.postal}`;
      return { street, exterior, interior, neighbourhood: p.neighbourhood, municipality: p.municipality, city: p.city, state: p.state, stateCode: p.stateCode, postalCode: p.postal, line };
    }
  }
}

/** Words by initial, to name a company whose RFC letters the user chose (e.g. `ABC` → "Alimentos Bajío Central"). */
const COMPANY_WORDS: Record<string, string[]> = {
  A: ['Alimentos', 'Agropecuaria', 'Arrendadora', 'Automotriz'],
  B: ['Bajío', 'Bienes', 'Bodegas'],
  C: ['Comercializadora', 'Constructora', 'Central', 'Corporativo'],
  D: ['Distribuidora', 'Desarrollos', 'Diseño'],
  E: ['Exportadora', 'Ensambles', 'Estructuras'],
  F: ['Ferretera', 'Farmacéutica', 'Fábrica'],
  G: ['Grupo', 'Gestión', 'Global'],
  H: ['Hidráulica', 'Herramientas', 'Hospitalaria'],
  I: ['Industrial', 'Importadora', 'Ingeniería'],
  J: ['Jardines', 'Juguetera'],
  K: ['Kappa', 'Kinética'],
  L: ['Logística', 'Laboratorios', 'Lácteos'],
  M: ['Manufacturas', 'Maquinaria', 'Mexicana', 'Metálica'],
  N: ['Nacional', 'Norteña', 'Nogal'],
  O: ['Operadora', 'Oficinas', 'Occidente'],
  P: ['Proveedora', 'Productos', 'Pacífico', 'Plásticos'],
  Q: ['Químicos', 'Quetzal'],
  R: ['Refacciones', 'Representaciones', 'Regional'],
  S: ['Servicios', 'Soluciones', 'Sistemas', 'Suministros'],
  T: ['Transportes', 'Tecnología', 'Textiles'],
  U: ['Unión', 'Universal'],
  V: ['Ventas', 'Vidrios', 'Valle'],
  W: ['Wolfram', 'Web'],
  X: ['Xalapa', 'Xochitl'],
  Y: ['Yucateca', 'Yunque'],
  Z: ['Zacatecana', 'Zafiro'],
};
const COMPANY_SUFFIXES = ['SA DE CV', 'S DE RL DE CV', 'SAPI DE CV', 'SC'];

/** A company name for RFC letters, e.g. "Comercializadora Bajío Servicios SA DE CV". */
export function companyNameFor(r: Rng, letters: string): string {
  const words = officialCase(letters)
    .split('')
    .map((ch) => r.pick(COMPANY_WORDS[ch] ?? ['Grupo']));
  return officialCase(`${words.join(' ')} ${r.pick(COMPANY_SUFFIXES)}`);
}

/** A company name from scratch, for Colombia and Brazil too. */
export function companyName(r: Rng, country: Country): string {
  const a = r.pick(['Comercializadora', 'Distribuidora', 'Servicios', 'Soluciones', 'Grupo', 'Logística', 'Tecnología', 'Alimentos']);
  const b = r.pick(['Andina', 'del Valle', 'Nacional', 'Pacífico', 'Central', 'del Norte', 'Integral', 'Moderna', 'Atlántica']);
  switch (country) {
    case 'MX':
      return officialCase(`${a} ${b} ${r.pick(COMPANY_SUFFIXES)}`);
    case 'CO':
      return `${a} ${b} S.A.S.`;
    case 'BR':
      return `${a.replace('Servicios', 'Serviços').replace('Logística', 'Logística')} ${b.replace('del ', 'do ')} Ltda.`;
  }
}
