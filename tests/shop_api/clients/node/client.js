'use strict';
// The scenario of tests/shop_api/clients/matrix.py with node-soap (npm `soap`), used as a
// Node shop backend would: a client built from the live WSDL, HTTP Basic through
// BasicAuthSecurity, faults read from the rejected call's `root`. Prints one JSON object.
//
// Usage: node client.js input.json

const fs = require('fs');
const soap = require('soap');

const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = {};

async function client(user, password) {
  const c = await soap.createClientAsync(input.wsdl);
  if (user) c.setSecurity(new soap.BasicAuthSecurity(user, password));
  return c;
}

// Elements in the order the schema's sequences declare them: node-soap writes an object's
// keys in insertion order.
function claim(shopClaimId, principal, changes = {}) {
  const debtor = {
    kind: 'PERSON', salutation: 'MS', firstName: 'Jürgen', lastName: 'Müller-Lüdenscheidt',
    street: 'Große Straße', houseNumber: '12a', postcode: '80331', city: 'München',
    country: 'DE', email: 'j.mueller@example.de', dateOfBirth: '1980-02-29',
  };
  for (const key of Object.keys(debtor)) if (key in changes) debtor[key] = changes[key];
  const result = {
    shopClaimId, claimType: 'GOODS_SOLD', reason: '2 x Wanderschuhe Größe 44', principal,
    dunningFees: '5.00', currency: 'EUR', dateOfOrigin: input.dateOfOrigin,
    dueDate: input.dueDate, dateOfLastReminder: input.dateOfLastReminder,
    note: 'reagiert nicht', counterPerformanceRendered: true, debtor,
  };
  for (const key of Object.keys(result)) if (key in changes) result[key] = changes[key];
  return result;
}

const list = (value) => (value == null ? [] : Array.isArray(value) ? value : [value]);
const textOf = (value) => (value != null && typeof value === 'object' && '$value' in value
  ? value.$value : value);

function text(value) {
  value = textOf(value);
  if (value === null || value === undefined) return null;
  // node-soap reads an xs:date into a Date at UTC midnight: its day is the date it read.
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value);
}

function collect(node, key, found = []) {
  if (Array.isArray(node)) node.forEach((item) => collect(item, key, found));
  else if (node && typeof node === 'object') {
    for (const [name, value] of Object.entries(node)) {
      if (name === key) list(value).forEach((v) => found.push(text(v)));
      else collect(value, key, found);
    }
  }
  return found;
}

function fault(error) {
  const status = error.response && error.response.status;
  // SOAP faults come with HTTP 500; any other status (401: no credentials) is HTTP's answer.
  if (status && status !== 500) return { http: String(status) };
  const body = error.root && error.root.Envelope && error.root.Envelope.Body;
  if (body && body.Fault) {
    const { faultcode, detail } = body.Fault;
    const name = detail && typeof detail === 'object'
      ? Object.keys(detail).find((key) => key !== 'attributes') : undefined;
    const element = name ? detail[name] : undefined;
    return {
      fault: String(faultcode).split(':').pop(),
      detail: name || null,
      paths: element ? collect(element, 'path') : [],
      reasons: element && typeof element === 'object'
        ? list(element.reason).map((r) => text(r && typeof r === 'object' && 'code' in r ? r.code : r))
        : [],
    };
  }
  throw error;
}

const answered = (answer) => ({ answered: typeof answer });

async function step(key, call, pick) {
  let answer;
  try {
    [answer] = await call();
  } catch (error) {
    out[key] = fault(error);
    return;
  }
  out[key] = await pick(answer);
}

async function main() {
  const shop = await client(input.shop, input.password);
  let firstId;
  await step('SubmitClaim', () => shop.SubmitClaimAsync({ claim: claim('C-1', '1234567.89') }),
    (r) => { firstId = text(r.receipt.claimId); return { created: text(r.receipt.created), status: r.receipt.status }; });
  await step('SubmitClaim.same', () => shop.SubmitClaimAsync({ claim: claim('C-1', '1234567.89') }),
    (r) => ({ created: text(r.receipt.created), sameClaimId: text(text(r.receipt.claimId) === firstId) }));
  await step('SubmitClaim.changed', () => shop.SubmitClaimAsync({ claim: claim('C-1', '10.00') }), answered);
  await step('SubmitClaim.invalid', () => shop.SubmitClaimAsync(
    { claim: claim('C-2', '0.00', { postcode: '123', email: 'nope' }) }), answered);
  await step('SubmitClaim.schema', () => shop.SubmitClaimAsync({ claim: claim('C-3', '1.234') }), answered);
  await step('SubmitClaim.tooLarge', () => shop.SubmitClaimAsync(
    { claim: claim('C-4', '1.00', { note: 'x'.repeat(Number(input.tooLargeNoteLength)) }) }), answered);
  await step('SubmitClaim.malformed', () => shop.SubmitClaimAsync(
    { claim: claim('C-5', '1.00', { reason: 'Bestellung \u0001' }) }), answered);

  await step('SubmitClaims', () => shop.SubmitClaimsAsync({ claims: { claim: [
    claim('B-0', '20.00'), claim('B-1', '1.999'), claim('B-2', '20.00', { postcode: '12' }),
    claim('B-0', '20.00')] } }), (r) => ({ results: list(r.results.result).map((item) => (item.receipt
    ? { index: text(item.index), created: text(item.receipt.created) }
    : { index: text(item.index), code: item.error.code, paths: collect(item.error.fieldErrors, 'path') })) }));

  await step('GetClaim', () => shop.GetClaimAsync({ shopClaimId: 'C-1' }), ({ claim: v }) => ({
    principal: text(v.claim.principal), dunningFees: text(v.claim.dunningFees),
    dateOfOrigin: text(v.claim.dateOfOrigin), dateOfBirth: text(v.claim.debtor.dateOfBirth),
    lastName: v.claim.debtor.lastName, street: v.claim.debtor.street, city: v.claim.debtor.city,
    state: v.state, outstanding: text(v.accounting.outstanding),
  }));
  await step('ReportDirectPayment', () => shop.ReportDirectPaymentAsync(
    { shopClaimId: 'C-1', paidOn: input.today, amount: '20.50' }),
  (r) => ({ status: r.receipt.status, created: text(r.receipt.created) }));
  await step('ReportDirectPayment.invalid', () => shop.ReportDirectPaymentAsync(
    { shopClaimId: 'C-1', paidOn: input.today, amount: '0.00' }), answered);
  await step('GetClaimHistory', () => shop.GetClaimHistoryAsync({ shopClaimId: 'C-1' }),
    (r) => ({ events: list(r.history.events.event).map((e) => e.what) }));
  await step('CancelClaim', () => shop.CancelClaimAsync({ shopClaimId: 'B-0', reason: 'Kunde hat gezahlt' }),
    (r) => ({ status: r.receipt.status }));

  await step('ListClaimChanges', async () => {
    const seen = [];
    let cursor;
    for (let pages = 1; pages <= 20; pages += 1) {
      const request = cursor === undefined ? { limit: 2 } : { since: cursor, limit: 2 };
      const [{ result: page }] = await shop.ListClaimChangesAsync(request);
      const items = list(page.changes && page.changes.change);
      items.forEach((c) => seen.push(`${text(c.sequence)} ${c.shopClaimId} ${c.event.what}`));
      if (items.length === 0) {
        return [{ changes: seen, pages: String(pages), cursorKept: text(page.nextCursor === cursor) }];
      }
      cursor = page.nextCursor;
    }
    throw new Error('ListClaimChanges never returned an empty page');
  }, (r) => r);
  await step('ListClaimChanges.badCursor', () => shop.ListClaimChangesAsync({ since: 'not-a-cursor' }), answered);

  const preflight = ({ preflight: p }) => ({
    allowed: text(p.allowed), reasons: list(p.reasons && p.reasons.finding).map((f) => f.code),
  });
  await step('CheckCourtDunningOrder', () => shop.CheckCourtDunningOrderAsync({ shopClaimId: 'C-1' }), preflight);
  await step('RequestCourtDunningOrder.refused', () => shop.RequestCourtDunningOrderAsync(
    { shopClaimId: 'C-1', instruction: 'DUNNING_ONLY', requestedBy: 'Frau Kaiser' }), answered);
  const ready = input.readyClaim;
  await step('CheckCourtDunningOrder.ready', () => shop.CheckCourtDunningOrderAsync({ shopClaimId: ready }), preflight);
  await step('RequestCourtDunningOrder', () => shop.RequestCourtDunningOrderAsync({
    shopClaimId: ready, instruction: 'DUNNING_THEN_LAWSUIT', requestedBy: 'Frau Kaiser', note: 'nach Rücksprache',
  }), (r) => ({ status: r.receipt.status, agencyFileNumber: r.receipt.agencyFileNumber }));
  await step('RequestCourtDunningOrder.again', () => shop.RequestCourtDunningOrderAsync(
    { shopClaimId: ready, instruction: 'DUNNING_ONLY', requestedBy: 'Frau Kaiser' }), answered);
  await step('GetClaim.unknown', () => shop.GetClaimAsync({ shopClaimId: 'nope' }), answered);
  const otherShop = await client(input.otherShop, input.otherPassword);
  await step('GetClaim.otherShop', () => otherShop.GetClaimAsync({ shopClaimId: 'C-1' }), answered);
  const wrongPassword = await client(input.shop, input.wrongPassword);
  await step('GetClaim.wrongPassword', () => wrongPassword.GetClaimAsync({ shopClaimId: 'C-1' }), answered);
  const anonymous = await client(null, null);
  await step('GetClaim.noCredentials', () => anonymous.GetClaimAsync({ shopClaimId: 'C-1' }), answered);
  const databaseDown = await client(input.shop, input.password);
  databaseDown.setEndpoint(input.unavailableEndpoint);
  await step('GetClaim.databaseDown', () => databaseDown.GetClaimAsync({ shopClaimId: 'C-1' }), answered);

  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
