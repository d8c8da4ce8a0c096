// Deterministic, text-like content for the storage and scale benchmarks. Compression and
// deduplication figures are only honest if the bytes compress like real prose and code do:
// filler such as 'x'.repeat(n) or one sentence repeated would make any store look tiny.
// Words are drawn from a vocabulary with a Zipf-like skew (as in natural language), mixed with
// numbers, identifiers and paths that repeat rarely, from a seeded generator so runs repeat.

export const WORDS = `the of and to a in is it you that was for on are with as be this have from or one had by
word but not what all were we when your can said there use an each which she do how their if will up
other about out many then them these so some her would make like him into time has look two more write
go see number no way could people my than first water been call who oil its now find long down day did
get come made may part order customer refund account invoice payment shipping delivery address policy
warehouse ticket status request response error retry timeout service agent tool result query database
record trace span replay model token prompt answer question summary report detail amount balance credit
debit transfer schedule calendar meeting email message thread channel review approve reject escalate
priority urgent pending resolved closed opened updated created deleted archived user admin manager team
product item quantity price discount coupon tax total subtotal currency region country city street zip
because however therefore although while before after during between within without against toward
should must might need want check verify confirm compare search fetch update create delete list read
please thanks sorry understand explain suggest recommend consider include exclude mention describe note
last next previous current recent early late quick slow large small high low new old same different
important clear simple complex possible likely certain available missing required optional invalid`.split(/\s+/);

const TOPICS = ['billing', 'shipping', 'returns', 'accounts', 'inventory', 'support', 'catalog', 'payments', 'fraud', 'loyalty'];

/** mulberry32: tiny, fast, good enough to make text that does not repeat. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(random, list) {
  return list[Math.floor(random() * list.length)];
}

// Skewed towards the front of the list, as word frequencies are.
function word(random) {
  return WORDS[Math.floor(WORDS.length * random() ** 2.2)];
}

function token(random) {
  const roll = random();
  if (roll < 0.03) return String(Math.floor(random() * 100_000));
  if (roll < 0.045) return `#${Math.floor(random() * 1_000_000).toString(36).toUpperCase()}`;
  if (roll < 0.055) return `${pick(random, TOPICS)}/${word(random)}_${Math.floor(random() * 1000)}.json`;
  if (roll < 0.065) return `$${(random() * 500).toFixed(2)}`;
  return word(random);
}

function sentence(random) {
  const length = 6 + Math.floor(random() * 18);
  const words = Array.from({ length }, () => token(random));
  words[0] = words[0][0].toUpperCase() + words[0].slice(1);
  if (length > 10 && random() < 0.5) words[Math.floor(length / 2)] += ',';
  return `${words.join(' ')}${random() < 0.1 ? '?' : '.'}`;
}

/** Prose of about `bytes` characters (ASCII, so also bytes): sentences, sometimes paragraphs. */
export function prose(random, bytes) {
  let text = '';
  while (text.length < bytes) text += (text ? (random() < 0.15 ? '\n\n' : ' ') : '') + sentence(random);
  return text.slice(0, bytes);
}

/** A whole number in [min, max], from `random`. */
export function between(random, min, max) {
  return min + Math.floor(random() * (max - min + 1));
}

/** A support agent's system prompt, about 3 KB; the same for every turn of a conversation. */
export function systemPrompt(seed) {
  const random = seededRandom(seed ^ 0x5157);
  const rules = Array.from({ length: 12 }, (_, i) => `${i + 1}. ${sentence(random)}${i % 2 ? '' : ` ${sentence(random)}`}`);
  return [
    'You are Atlas, the customer operations agent for a mid-sized online shop.',
    prose(random, 600),
    'Rules you must follow:',
    ...rules,
    'Style:',
    prose(random, 400),
  ].join('\n');
}

const TOOL_NAMES = ['lookup_order', 'search_knowledge_base', 'issue_refund', 'update_shipping_address', 'get_customer_profile', 'escalate_ticket'];

/** Six function tools with JSON-schema parameters, about 3 KB together. */
export function toolSchemas(seed) {
  const random = seededRandom(seed ^ 0x7001);
  return TOOL_NAMES.map((name) => {
    const properties = {};
    const count = between(random, 2, 4);
    for (let i = 0; i < count; i++) {
      const key = `${word(random)}_${word(random)}`.replace(/[^a-z_]/g, '');
      properties[key] =
        random() < 0.25
          ? { type: 'string', enum: Array.from({ length: 3 }, () => word(random)) }
          : { type: random() < 0.7 ? 'string' : 'integer', description: sentence(random) };
    }
    return {
      type: 'function',
      function: {
        name,
        description: sentence(random),
        parameters: { type: 'object', properties, required: Object.keys(properties).slice(0, 2) },
      },
    };
  });
}

export const TOOL_NAME_LIST = TOOL_NAMES;

/** What the user says on turn `turn`: 300 to 1500 bytes. */
export function userMessage(seed, turn) {
  const random = seededRandom((seed * 7919 + turn * 104729) >>> 0);
  return prose(random, between(random, 300, 1500));
}

/** A tool's result on turn `turn`: JSON of 300 to 1500 bytes, as an API would return. */
export function toolResult(seed, turn, toolName) {
  const random = seededRandom((seed * 6151 + turn * 130363) >>> 0);
  const target = between(random, 300, 1500);
  const result = { tool: toolName, ok: true, id: `${pick(random, TOPICS)}-${Math.floor(random() * 1e9).toString(36)}`, records: [] };
  while (JSON.stringify(result).length < target) {
    result.records.push({
      ref: `#${Math.floor(random() * 1e8).toString(36).toUpperCase()}`,
      status: word(random),
      amount: Number((random() * 900).toFixed(2)),
      note: sentence(random),
    });
  }
  return JSON.stringify(result);
}

/** What the model answers on turn `turn` (the fake server's side): 300 to 1500 bytes. */
export function assistantText(seed, turn) {
  const random = seededRandom((seed * 3571 + turn * 15485863) >>> 0);
  return prose(random, between(random, 300, 1500));
}

/** Arguments of the tool call the model makes on turn `turn`, and which tool. */
export function toolCall(seed, turn) {
  const random = seededRandom((seed * 2903 + turn * 49979687) >>> 0);
  const name = pick(random, TOOL_NAMES);
  const args = { query: sentence(random), reference: `#${Math.floor(random() * 1e8).toString(36).toUpperCase()}`, limit: between(random, 1, 20) };
  return { name, arguments: JSON.stringify(args) };
}
