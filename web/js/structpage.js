// structpage.js - the words under the struct page panel: what the page is
// used for (its 6.18 page type, kept in the top byte of page_type, the word
// _mapcount shares), how many page tables map it, and its /proc/kpageflags
// bits. Kernel: include/linux/page-flags.h (enum pagetype, enum pageflags),
// include/linux/mm_types.h (the page_type/_mapcount union), fs/proc/page.c
// (stable_page_flags).
import { el } from './format.js';

const TYPE_TEXT = {
  buddy: 'the head of a free block in the buddy allocator (private holds its order)',
  slab: 'the head of a slab: the slab fields say which cache and how many objects',
  table: 'a page table from the buddy allocator, given its type by the page-table constructor',
  large_kmalloc: 'the head of a kmalloc() block too large for a slab cache',
};

function typeLine(page) {
  if (page.page_type)
    return [el('b', {}, `page type: ${page.page_type}`),
            ` (PGTY_${page.page_type}, word ${page.page_type_word}): `,
            TYPE_TEXT[page.page_type] ?? 'a typed page',
            '. A type is not a PG_ flag: it lives in page_type, the word _mapcount uses on an untyped page.'];
  const maps = page._mapcount + 1;
  return [el('b', {}, 'no page type'),
          ` (word ${page.page_type_word}): the word is _mapcount = ${page._mapcount}, `,
          maps === 0 ? 'mapped by no page table' : `mapped by ${maps} page table${maps > 1 ? 's' : ''}`,
          ' (page_mapcount = _mapcount + 1).'];
}

// The note under the struct page table of @page (GET .../pages/{pfn}).
export function pageNote(page) {
  const lines = [el('p', { dataset: { note: 'type' } }, ...typeLine(page))];
  lines.push(el('p', { dataset: { note: 'flags' } },
                el('b', {}, 'flags: '), page.flags || '(none)',
                ' \u2014 only PG_ flags of 6.18; a compound tail is marked in compound_head, not here.'));
  lines.push(el('p', { dataset: { note: 'kpageflags' } },
                el('b', {}, '/proc/kpageflags: '), page.kpageflags || '(none)'));
  if (page.mapping !== undefined || page.lru !== undefined) {
    const lru = page.lru;
    const end = (n) => (n === null ? 'the list head' : `pfn 0x${n.toString(16)}`);
    const mapping = !page.mapping ? 'none'
      : page.mapping.kind === 'file' ? `the page cache of file ${page.mapping.file} (page ${page.index} of it)`
        : `anon_vma ${page.mapping.id}, an anonymous page (linear index ${page.index})`;
    lines.push(el('p', { dataset: { note: 'folio' } },
                  el('b', {}, 'lru: '), lru ? `on the ${lru.list} list, between ${end(lru.prev)} and ${end(lru.next)}`
                    : 'on no LRU list',
                  '. ', el('b', {}, 'mapping: '), mapping, '.'));
  }
  if (page.zero_page)
    lines.push(el('p', { dataset: { note: 'zero' } },
                  'The shared zero page (empty_zero_page, in the kernel image): every read fault on ',
                  'untouched anonymous memory maps it read-only; the first write copies it to a page of ',
                  'the process\u2019s own. It is never counted in _mapcount or RSS.'));
  return el('div', { className: 'page-note' }, ...lines);
}
