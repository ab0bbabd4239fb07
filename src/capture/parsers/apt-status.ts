// apt's per-item status lines: `Get:12 URL …`, `Hit:3 URL …`, `Ign:4 URL …`, `Err:5 URL …`,
// in any language apt is translated into (German `Holen:1`/`OK:2`/`Fehl:3`, French
// `Réception de :1`, Spanish `Des:1`/`Obj:2`, …). apt 1.0's uncounted `Hit URL …`/`Err URL …`
// are not items: they name the host without the repository's path, and apt 1.0 repeats each
// failure with its full URL in a `W: Failed to fetch` line. They only tell that the log is apt 1.0's.

export type AptStatusKind = 'get' | 'hit' | 'ign' | 'err';

export interface AptStatus {
  readonly kind: AptStatusKind;
  /** apt's item counter (`Get:12` → `12`), which a later `Err:12`/`Ign:12` of the same item repeats. */
  readonly id: string;
  /** After the counter: `URL SUITE[/COMP] … [SIZE]`, or `/PATH.deb NAME ARCH VERSION [SIZE]`. */
  readonly rest: string;
}

/**
 * The labels of `Get:%lu %s`, `Hit:%lu %s`, `Ign:%lu %s` and `Err:%lu %s` in apt 2.6's
 * translations (its .mo files), written without their spaces and final colon. No label
 * means one thing in one language and another in another.
 */
const LABELS: Readonly<Record<AptStatusKind, readonly string[]>> = {
  get: ['Get', 'جلب', 'Des', 'Изт', 'Bai', 'Stahujese', 'Cyrchu', 'Henter', 'Holen', 'ལེན', 'Φέρε', 'Hartu', 'Nouda', 'Réceptionde', 'Rcb',
    'Letöltés', 'Scaricamentodi', '取得', 'យក៖', '받기', 'Anîn', 'Gauti', 'मिळवा', 'Hent', 'प्राप्तगर्नुहोस्', 'Ophalen', 'Pobieranie', 'Obter',
    'Luat', 'Пол', 'Získavasa', 'Dobi', 'Läs', 'ดึง', 'Kunin', 'İndir', 'Отр', 'Lấy', '获取', '下載'],
  hit: ['Hit', 'Oxe', 'Поп', 'Obj', 'Mám', 'Presennol', 'Havde', 'OK', 'ཨེབ།', 'Atzituta', 'Löytyi', 'Atteint', 'Teño', 'Találat', 'Trovato',
    'ヒット', 'វាយ', '기존', 'Imamas', 'दाबा', 'Funnet', 'हान्नुहोस्', 'Geraakt', 'Treff', 'Stary', 'Atingido', 'Atins', 'Сущ', 'Užexistuje',
    'Zadetek', 'Bra', 'เจอ', 'Tumama', 'Aynı', 'Вкеші', 'Tìmthấy', '命中', '已有'],
  ign: ['Ign', 'تجاهل', 'Игн', 'Anwybyddu', 'Ignorerer', 'ཨེལ་ཇི་ཨེན', 'Αγνόησε', 'Ezikusi', 'Siv', 'Mellőz', 'Ignorato', '無視', '무시',
    'Ignoruotas', 'आय.जी.एन.', 'Genegeerd', 'Ignorat', 'Prezr', 'ข้าม', 'DiPansin', 'Yoksay', 'Ігн', 'Bỏq', '忽略', '略過'],
  err: ['Err', 'خطأ', 'Грш', 'Gwall', 'Fejl', 'Fehl', 'ཨི་ཨར་ཨར།', 'Σφάλμα', 'Vrhe', 'Hiba', 'Errore', 'エラー', '오류', 'Çewt', 'Klaida',
    'दोषइ.आर.आर.', 'Feil', 'Fout', 'Błąd', 'Eroare', 'Ошб', 'Chyba', 'Nap', 'Fel', 'ปัญหา', 'Hata', 'Пом', 'Lỗi', '错误', '錯誤'],
};

const KIND_OF_LABEL: ReadonlyMap<string, AptStatusKind> = new Map(
  (Object.entries(LABELS) as [AptStatusKind, readonly string[]][]).flatMap(([kind, labels]) => labels.map((label) => [label, kind] as const)),
);

/** The longest label (`प्राप्त गर्नुहोस्`) with its spaces, and some slack. */
const MAX_LABEL = 40;
/** Spaces (also no-break and zero-width, as French and Khmer write them) inside a label. */
const LABEL_SPACE = /[\s\u00a0\u200b]/g;
const HAS_LABEL_SPACE = /[\s\u00a0\u200b]/;
/**
 * `:12 URL …`, `: 19 URL …` (apt 0.8's French), `:  12 URL …` (Turkish), or `:1 /PATH.deb …`
 * (`apt install ./x.deb`). The URL or path keeps other tools' lines out (apk's
 * `OK: 25 MiB in 20 packages`).
 */
const COUNTER = /^:\s*(\d+) ((?:[a-z][a-z0-9+.-]*:|\/)\S+ .+)$/;

/**
 * The colon that ends a label, or -1. Reads at most a label's length, and stops at the first
 * character no label holds (a quote, slash, bracket, `=` or parenthesis), which most lines of
 * a log reach within a few characters (`Compiling '…`, `[INFO]`, `--> /src`).
 */
function labelColon(text: string): number {
  const end = text.length < MAX_LABEL ? text.length : MAX_LABEL;
  for (let i = 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 58) return i; // :
    if (c === 39 || c === 34 || c === 47 || c === 91 || c === 61 || c === 40) return -1; // ' " / [ = (
  }
  return -1;
}

/** The first two characters of every label, as one number: most lines fail this before any scan. */
const LABEL_STARTS: ReadonlySet<number> = new Set([...KIND_OF_LABEL.keys()].map((label) => pairAt(label)));

/** The first two characters other than a space after the first (labels are kept without their spaces: `В кеші`). */
function pairAt(text: string): number {
  const second = text.charCodeAt(1);
  const space = second === 32 || second === 0xa0 || second === 0x200b;
  return (text.charCodeAt(0) << 16) | (space ? text.charCodeAt(2) : second);
}

export function parseAptStatus(text: string): AptStatus | null {
  if (!LABEL_STARTS.has(pairAt(text))) return null;
  const colon = labelColon(text);
  if (colon === -1) return null;
  // A counter (or the space before it) follows the colon: most lines with a colon fail here.
  const after = text.charCodeAt(colon + 1);
  if (after !== 32 && after !== 9 && after !== 0xa0 && (after < 48 || after > 57)) return null;
  const label = text.slice(0, colon);
  // Labels are looked up without their spaces; most lines' words before a colon hold none.
  const kind = KIND_OF_LABEL.get(label) ?? (HAS_LABEL_SPACE.test(label) ? KIND_OF_LABEL.get(label.replace(LABEL_SPACE, '')) : undefined);
  if (kind === undefined) return null;
  const m = COUNTER.exec(text.slice(colon));
  return m === null ? null : { kind, id: m[1] ?? '', rest: m[2] ?? '' };
}

/**
 * apt ≤ 1.0's uncounted `Hit http://h suite …`, `Ign http://h …` (`Obj`, `Des` translated):
 * such a log prints its repositories as bare hosts in every item line, counted `Get:N` ones too.
 */
export function isUncountedAptStatus(text: string): boolean {
  if (!LABEL_STARTS.has(pairAt(text))) return false;
  const m = UNCOUNTED.exec(text);
  return m !== null && KIND_OF_LABEL.has((m[1] ?? '').replace(LABEL_SPACE, ''));
}

const UNCOUNTED = /^(\S+(?: \S+)?) [a-z][a-z0-9+.-]*:\/\/\S+ \S/;
