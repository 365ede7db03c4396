// Watch lists: stolen or looted cultural objects. JavaScript port of ../watch-list
// (src/lib.rs), with the same findings; built into a WebAssembly component by build.mjs
// (componentize-js), against the world `plugin` of crates/cartouche-rules/wit/rules.wit.
//
// Every object of the certificate is searched in the watch lists the operator has loaded
// (INTERPOL Stolen Works of Art extracts, national police lists, ...), through the host's
// `watch-list-search`: the host matches an entry by the SHA-256 of one of the object's
// photos, or by its title and maker together (normalized: case, spacing and punctuation do
// not matter). Each hit is an error: a stolen-art match means the object is held
// (DOMAIN.md rule 10) until the list's owner has confirmed or ruled out the match. With
// no list loaded, the search finds nothing and so does the rule.
//
// How the WIT types look from JavaScript (componentize-js): records are objects with
// camelCase fields (`photoSha256`, `listName`, `matchedOn`, `evaluationDate`), enums are
// their WIT names as strings (`'exit-check'`, `'error'`), an option is its value or
// `undefined`, a tuple is an array, and `result<list<finding>, string>` is the list
// returned or the string thrown.
//
// The plugin has no dependency: the only module it imports is the host interface.

import { watchListSearch } from 'cartouche:rules/reference-data@1.0.0';

/** The phases it has rules for (WIT enum `phase`). */
const PHASES = ['issuance', 'exit-check'];

/** What matched, in words: [English, French]. */
function matchedOn(hit) {
  switch (hit.matchedOn) {
    case 'photo':
      return [
        "one of its photographs is identical to the entry's",
        'une de ses photographies est identique à celle de la fiche',
      ];
    case 'title-and-maker':
      return ['same title and maker', 'même titre et même auteur'];
    default:
      return [hit.matchedOn, hit.matchedOn];
  }
}

/**
 * What the object is searched by: its photos' SHA-256, its title, its maker's name and its
 * inscriptions (kept for lists that index them; the host does not match them yet).
 */
function query(object) {
  return {
    photoSha256: object.photos.map((photo) => photo.sha256),
    title: object.title,
    maker: object.maker === undefined ? undefined : object.maker.name,
    inscriptions: object.inscriptions,
  };
}

/** JSON has no `undefined`: an absent or null optional field is `undefined` (WIT `none`). */
function optional(value) {
  return value === null ? undefined : value;
}

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The objects of the certificate, each reduced to what the rule reads (photos, title,
 * maker, inscriptions), or a thrown string saying what is wrong. The Rust SDK refuses a
 * certificate that does not deserialize; this port checks the fields it uses.
 */
function objectsOf(certificate) {
  let subject;
  try {
    subject = JSON.parse(certificate);
  } catch (error) {
    throw `the certificate does not parse: ${error.message}`;
  }
  const wrong = (what) => {
    throw `the certificate does not parse: ${what}`;
  };
  if (!isObject(subject)) wrong('it is not a JSON object');
  if (!Array.isArray(subject.objects)) wrong('objects is not an array');
  return subject.objects.map((object, index) => {
    const at = `objects[${index}]`;
    if (!isObject(object)) wrong(`${at} is not an object`);
    if (!Array.isArray(object.photos)) wrong(`${at}.photos is not an array`);
    const photos = object.photos.map((photo, p) => {
      if (!isObject(photo) || typeof photo.sha256 !== 'string') wrong(`${at}.photos[${p}].sha256 is not a string`);
      return { sha256: photo.sha256 };
    });
    const title = optional(object.title);
    if (title !== undefined && typeof title !== 'string') wrong(`${at}.title is not a string`);
    const inscriptions = optional(object.inscriptions);
    if (inscriptions !== undefined && typeof inscriptions !== 'string') wrong(`${at}.inscriptions is not a string`);
    let maker = optional(object.maker);
    if (maker !== undefined) {
      if (!isObject(maker) || typeof maker.name !== 'string') wrong(`${at}.maker.name is not a string`);
      maker = { name: maker.name };
    }
    return { photos, title, maker, inscriptions };
  });
}

/** Throws unless `text` is a calendar date YYYY-MM-DD (as the Rust SDK parses it). */
function checkDate(text) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const [year, month, day] = match ? match.slice(1).map(Number) : [0, 0, 0];
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (!match || days === undefined || day < 1 || day > days) {
    throw `the evaluation date ${JSON.stringify(text)} does not parse`;
  }
}

/**
 * The WIT `err` string for what was thrown. Only a string may leave `evaluate`: with
 * componentize-js 0.23.0, a thrown Error (a bug, say a TypeError) is taken for the error
 * string itself and the call traps with "expected a string, received [object]", losing the
 * original message (its bindings run in another global, where this module's errors are not
 * `instanceof Error`).
 */
function reason(error) {
  if (typeof error === 'string') return error;
  const frame = typeof error?.stack === 'string' ? error.stack.split('\n')[0] : '';
  return `watch-list-js failed: ${error}${frame ? ` (at ${frame})` : ''}`;
}

/** What `evaluate` finds (throws a string when the input does not parse). */
function watchListFindings(certificate, context) {
  const objects = objectsOf(certificate);
  checkDate(context.evaluationDate);
  if (!PHASES.includes(context.phase)) {
    return [];
  }
  const findings = [];
  objects.forEach((object, index) => {
    const number = index + 1;
    for (const hit of watchListSearch(query(object))) {
      const [whyEn, whyFr] = matchedOn(hit);
      findings.push({
        code: 'WATCH.MATCH',
        severity: 'error',
        message:
          `object ${number} matches entry ${hit.reference} of the watch list ${hit.listName} (${whyEn}): ` +
          `"${hit.description}". Hold the object: do not issue the certificate or let the object leave, ` +
          `and contact the owner of the list ${hit.listName} to confirm or rule out the match`,
        field: `/objects/${index}`,
        translations: [
          {
            lang: 'fr',
            text:
              `l'objet ${number} correspond à la fiche ${hit.reference} de la liste de surveillance ` +
              `${hit.listName} (${whyFr}) : « ${hit.description} ». Retenez l'objet : ne délivrez pas ` +
              `le certificat et ne le laissez pas sortir, et contactez le responsable de la liste ` +
              `${hit.listName} pour confirmer ou écarter la correspondance`,
          },
        ],
      });
    }
  });
  return findings;
}

/** The `rule` interface of `cartouche:rules@1.0.0`. */
export const rule = {
  /** The plugin's id, jurisdiction, version, phases and descriptions (English first). */
  describe() {
    return {
      id: 'watch-list-js',
      jurisdiction: 'INT',
      version: '1.0.0',
      phases: PHASES,
      descriptions: [
        {
          lang: 'en',
          text: 'Watch lists of stolen or looted cultural objects: a match holds the object (JavaScript port of watch-list)',
        },
        {
          lang: 'fr',
          text: "Listes de biens culturels volés ou pillés : une correspondance fait retenir l'objet (portage JavaScript de watch-list)",
        },
      ],
    };
  },

  /**
   * One error WATCH.MATCH at /objects/<i> per watch-list entry an object matches, at
   * issuance and exit check; nothing at import check. Throws a string (the WIT `err`: the
   * host reports the rule INDETERMINATE with it) when the certificate or the date does not
   * parse, or when the plugin itself fails.
   */
  evaluate(certificate, context) {
    try {
      return watchListFindings(certificate, context);
    } catch (error) {
      throw reason(error);
    }
  },
};
