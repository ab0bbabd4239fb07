// apt's `Need to get 704 kB of archives.` / `Need to get 0 B/14.6 kB of archives.` line, in any
// language apt is translated into. It is the one line that says whether the archive cache held
// anything: apt prints the `X/Y` form only when part of the Y bytes are already in
// /var/cache/apt/archives. apt 3's `apt` says it in its summary instead (`  Download size: 0 B / 857 kB`).
// `apt-get -qq` prints neither it nor any `Get:` line, so a log without it cannot tell a cached
// .deb from a downloaded one.

/** `some-cached`: the `X/Y` form; `none-cached`: the plain form (every archive must be fetched). */
export type AptArchives = 'some-cached' | 'none-cached';

/**
 * `Need to get %sB of archives.` and `Need to get %sB/%sB of archives.` as apt 2.6's
 * translations (its .mo files) write them, without the final newline.
 */
const TEMPLATES: readonly (readonly [plain: string, slash: string])[] = [
  ['Need to get %sB of archives.', 'Need to get %sB/%sB of archives.'],
  ['Download size: %sB', 'Download size: %sB / %sB'], // apt 3's summary, indented (not yet translated in apt 3.0)
  ['بحاجة إلى جلب %sب من الأرشيف.', 'بحاجة إلى جلب %sب/%sب من الأرشيف.'], // ar
  ["Hai que descargar %sB d'archivos.", "Hai que descargar %sB/%sB d'archivos."], // ast
  ['Необходимо е да се изтеглят %sB архиви.', 'Необходимо е да се изтеглят %sB/%sB архиви.'], // bg
  ["S'ha d'obtenir %sB d'arxius.", "S'ha d'obtenir %sB/%sB d'arxius."], // ca
  ['Nutno stáhnout %sB archivů.', 'Nutno stáhnout %sB/%sB archivů.'], // cs
  ['Mae angen cyrchu %sB o archifau.', 'Mae angeyn cyrchu %sB/%sB o archifau.'], // cy
  ['%sB skal hentes fra arkiverne.', '%sB/%sB skal hentes fra arkiverne.'], // da
  ['Es müssen %sB an Archiven heruntergeladen werden.', 'Es müssen noch %sB von %sB an Archiven heruntergeladen werden.'], // de
  ['ཡིག་མཛོད་ཀྱི་%sB་འདི་ལེན་དགོ་པས།', '%sBལེན་ནི་ལུ་དགོཔ་པས། ཡིག་མཛོད་ཚི་གི་%sB་'], // dz
  ['Χρειάζεται να μεταφορτωθούν %sB από αρχεία.', 'Χρειάζεται να μεταφορτωθούν %sB/%sB από αρχεία.'], // el
  ['Se necesita descargar %sB de archivos.', 'Se necesita descargar %sB/%sB de archivos.'], // es
  ['Artxiboetako %sB eskuratu behar dira.', 'Artxiboetako %sB/%sB eskuratu behar dira.'], // eu
  ['Noudettavaa arkistoa %st.', 'Noudettavaa arkistoa %st/%st.'], // fi
  ['Il est nécessaire de prendre %so dans les archives.', 'Il est nécessaire de prendre %so/%so dans les archives.'], // fr
  ['Ten que recibir %sB de arquivos.', 'Ten que recibir %sB/%sB de arquivos.'], // gl
  ['Letöltendő adatmennyiség: %sB.', 'Letöltendő adatmennyiség: %sB/%sB.'], // hu
  ['È necessario scaricare %sB di archivi.', 'È necessario scaricare %sB/%sB di archivi.'], // it
  ['%sB のアーカイブを取得する必要があります。', '%2$sB 中 %1$sB のアーカイブを取得する必要があります。'], // ja
  ['ត្រូវ\u200bការយក\u200b %sB នៃ\u200bប័ណ្ណសារ ។', 'ត្រូវការ\u200b\u200bយក\u200b %sB/%sB នៃ\u200bប័ណ្ណសារ ។\u200b'], // km
  ['%s바이트 아카이브를 받아야 합니다.', '%s바이트/%s바이트 아카이브를 받아야 합니다.'], // ko
  ['Anîna %sB ji arşîvan pêwist e.', 'Anîna %sB/%sB ji arşîvan pêwist e.'], // ku
  ['Reikia parsiųsti %sB archyvų.', 'Reikia parsiųsti %sB/%sB archyvų.'], // lt
  ['अर्काईव्हज%sB घेण्याची गरज आहे.', 'अर्काईव्हजच्या %sB/%sB घेण्याची गरज आहे'], // mr
  ['Må hente %sB med arkiver.', 'Må hente %sB/%sB med arkiver.'], // nb
  ['संग्रहहरुको %sB प्राप्त गर्न आवश्यक ।', 'संग्रहहरुको %sB/%sB प्राप्त गर्न आवश्यक ।'], // ne
  ['Er moeten %sB aan archieven opgehaald worden.', 'Er moeten %sB/%sB aan archieven opgehaald worden.'], // nl
  ['Må henta %sB med arkiv.', 'Må henta %sB/%sB med arkiv.'], // nn
  ['Konieczne pobranie %sB archiwów.', 'Konieczne pobranie %sB/%sB archiwów.'], // pl
  ['É necessário obter %sB de arquivos.', 'É necessário obter %sB/%sB de arquivos.'], // pt
  ['É preciso baixar %sB de arquivos.', 'É preciso baixar %sB/%sB de arquivos.'], // pt_BR
  ['Este nevoie să descărcați %sB de arhive.', 'Este nevoie să descărcați %sB/%sB de arhive.'], // ro
  ['Необходимо скачать %sB архивов.', 'Необходимо скачать %sB/%sB архивов.'], // ru
  ['Je potrebné stiahnuť %sB archívov.', 'Je potrebné stiahnuť %sB/%sB archívov.'], // sk
  ['Potrebno je dobiti %sB arhivov.', 'Potrebno je dobiti %sB/%sB arhivov.'], // sl
  ['Behöver hämta %sB arkiv.', 'Behöver hämta %sB/%sB arkiv.'], // sv
  ['ต้องดาวน์โหลดแพกเกจ %sB', 'ต้องดาวน์โหลดแพกเกจ %sB/%sB'], // th
  ['Kailangang kumuha ng %sB ng arkibo.', 'Kailangang kumuha ng %sB/%sB ng arkibo.'], // tl
  ['%sB arşiv dosyası indirilecek.', '%sB/%sB arşiv dosyası indirilecek.'], // tr
  ['Необхідно завантажити %sB архівів.', 'Необхідно завантажити %sB/%sB архівів.'], // uk
  ['Cần phải lấy %sB từ kho chứa.', 'Cần phải lấy %sB/%sB từ kho chứa.'], // vi
  ['需要下载 %sB 的归档。', '需要下载 %sB/%sB 的归档。'], // zh_CN
  ['需要下載 %sB 的套件檔。', '需要下載 %sB/%sB 的套件檔。'], // zh_TW
];

interface Template {
  /** The text before the first size, and after the last one. */
  readonly head: string;
  readonly tail: string;
  readonly pattern: RegExp;
  readonly meaning: AptArchives;
}

const SIZE_SPEC = /%(?:\d\$)?s/g;

function compile(template: string, meaning: AptArchives): Template {
  const parts = template.split(SIZE_SPEC);
  const escaped = parts.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return {
    head: parts[0] ?? '',
    tail: parts[parts.length - 1] ?? '',
    pattern: new RegExp(`^${escaped.join('\\d[\\d.,\\s\\u00a0\\u202f]*\\s?[kMGT]?')}$`),
    meaning,
  };
}

// The slash form first: its head can be the plain form's (`Need to get `), never the reverse.
const COMPILED: readonly Template[] = TEMPLATES.flatMap(([plain, slash]) => [compile(slash, 'some-cached'), compile(plain, 'none-cached')]);

/**
 * Templates by their head's first character, or (a size first: Danish, Japanese, Korean,
 * Turkish) by their tail's last: most lines of a log find no candidate with one lookup.
 */
const BY_FIRST = groupBy(COMPILED.filter((t) => t.head !== ''), (t) => t.head.charCodeAt(0));
const BY_LAST = groupBy(COMPILED.filter((t) => t.head === ''), (t) => t.tail.charCodeAt(t.tail.length - 1));

function groupBy(templates: readonly Template[], key: (t: Template) => number): ReadonlyMap<number, readonly Template[]> {
  const map = new Map<number, Template[]>();
  for (const t of templates) map.set(key(t), [...(map.get(key(t)) ?? []), t]);
  return map;
}

export function parseAptArchives(line: string): AptArchives | null {
  // apt's parser asks on nearly every line: decide on characters before building a string.
  let end = line.length;
  while (end > 0 && isBlank(line.charCodeAt(end - 1))) end--;
  const candidates = BY_FIRST.get(line.charCodeAt(0)) ?? BY_LAST.get(line.charCodeAt(end - 1));
  if (candidates === undefined) return null;
  const text = end === line.length ? line : line.slice(0, end);
  for (const t of candidates) {
    if (text.startsWith(t.head) && text.endsWith(t.tail) && t.pattern.test(text)) return t.meaning;
  }
  return null;
}

function isBlank(code: number): boolean {
  return code === 32 || code === 9 || code === 13;
}
