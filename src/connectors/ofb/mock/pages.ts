/**
 * Server-rendered pages of the mock bank (pt-BR, no scripts): the CPF login and the consent
 * screen. Tests drive them with plain fetch, so the markup stays small and predictable: one
 * form per page, the consent form with two submit buttons labelled exactly "Autorizar" and
 * "Rejeitar".
 */
import { PERMISSION_LABELS } from './consents.js';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="pt-BR">
<head><meta charset="utf-8"><title>${escapeHtml(title)} — OF Mock Bank</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;max-width:28rem;margin:2rem auto}.erro{color:#b00020}button{margin-right:.5rem}</style>
</head>
<body>
<h1>OF Mock Bank</h1>
${body}
</body>
</html>`;
}

export function loginPage(uid: string, clientName: string, error?: string): string {
  return layout(
    'Entrar',
    `<p>${escapeHtml(clientName)} solicita acesso aos seus dados via Open Finance.</p>
<p>Para continuar, entre com o seu CPF.</p>
${error ? `<p class="erro" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="cpf">CPF</label>
<input id="cpf" name="cpf" inputmode="numeric" autocomplete="username" required>
<button type="submit">Entrar</button>
</form>`,
  );
}

export function consentPage(input: {
  uid: string;
  clientName: string;
  cpf: string;
  permissions: string[];
  expirationDateTime?: Date;
}): string {
  const items = input.permissions
    .map((p) => `<li data-permission="${escapeHtml(p)}">${escapeHtml(PERMISSION_LABELS[p] ?? p)}</li>`)
    .join('\n');
  const until = input.expirationDateTime
    ? `até ${input.expirationDateTime.toLocaleDateString('pt-BR', { timeZone: 'America/Sao_Paulo' })}`
    : 'por prazo indeterminado';
  return layout(
    'Consentimento',
    `<p>Olá, CPF ${escapeHtml(input.cpf.replace(/^(\d{3})(\d{3})(\d{3})(\d{2})$/, '$1.$2.$3-$4'))}.</p>
<p><strong>${escapeHtml(input.clientName)}</strong> quer acessar, ${escapeHtml(until)}, os seguintes dados:</p>
<ul>
${items}
</ul>
<form method="post" action="/interaction/${escapeHtml(input.uid)}/decision">
<button type="submit" name="decision" value="authorize">Autorizar</button>
<button type="submit" name="decision" value="reject">Rejeitar</button>
</form>`,
  );
}

export function errorPage(message: string): string {
  return layout('Erro', `<p class="erro" role="alert">${escapeHtml(message)}</p>`);
}
