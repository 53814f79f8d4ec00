/**
 * The playground page: reads the command line and the sample sockets,
 * keeps both in the URL (so a link can be shared), and shows what
 * {@link runPlayground} computes. The only DOM code; everything else is
 * the CLI's own modules.
 */
import { runPlayground, type PlaygroundResult } from './pipeline.js'
import { hexBytes } from './annotate.js'

const DEFAULT_FILTER = "-t state established ( sport = :22 or sport = :80 ) and not dst 10.0.0.0/8 and dport >= :1024"
const DEFAULT_SOCKETS = [
  'tcp 192.168.1.5:22 -> 203.0.113.9:51234 established',
  'tcp 192.168.1.5:22 -> 10.0.0.7:51234 established',
  'tcp 192.168.1.5:80 -> 203.0.113.9:443 established',
  'tcp 10.0.0.1:5555 -> 10.0.0.2:443 established [mark 0x10] [dev 2]',
  'tcp [2001:db8::1]:22 -> [2001:db8::2]:40000 established',
].join('\n')

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T

function readUrl(): { q: string; s: string } {
  const p = new URLSearchParams(location.hash.replace(/^#/, ''))
  return { q: p.get('q') ?? DEFAULT_FILTER, s: p.get('s') ?? DEFAULT_SOCKETS }
}

function writeUrl(q: string, s: string): void {
  const p = new URLSearchParams({ q, s })
  // replaceState: typing should not fill the history; works from file:// too.
  history.replaceState(null, '', `#${p.toString()}`)
}

function text(id: string, s: string): void {
  $(id).textContent = s
}

function show(r: PlaygroundResult): void {
  const error = $('error')
  const out = $('output')
  if (!r.ok) {
    error.hidden = false
    error.textContent = r.error
    out.classList.add('stale')
    document.body.dataset['state'] = 'error'
    return
  }
  error.hidden = true
  out.classList.remove('stale')
  text('warnings', r.warnings.map((w) => `warning: ${w}`).join('\n'))
  text('ast', r.ast)
  text('disasm', r.disasm ?? '(no bytecode: the filter runs in user space only, or there is none)')
  text('cbpf', r.cbpf ?? '(no filter: every event is kept)')
  text('explain', r.explain)
  $('cfg').innerHTML = r.svg ?? '<p>(no bytecode)</p>'
  const hex = $('hex')
  hex.replaceChildren()
  for (const f of r.hex) {
    const tr = document.createElement('tr')
    for (const [cls, v] of [['off', String(f.offset)], ['bytes', hexBytes(f.bytes)], ['op', f.op], ['field', f.field], ['meaning', f.meaning]] as const) {
      const td = document.createElement('td')
      td.className = cls
      td.textContent = v
      tr.append(td)
    }
    hex.append(tr)
  }
  const rows = $('verdicts')
  rows.replaceChildren()
  r.sockets.forEach((s, i) => {
    const tr = document.createElement('tr')
    tr.className = s.error ? 'bad' : s.listed ? 'listed' : 'dropped'
    tr.dataset['kernel'] = s.kernel
    tr.dataset['user'] = s.userSpace
    tr.dataset['listed'] = String(s.listed)
    const cells = s.error
      ? [String(i + 1), s.text, 'error', s.error, '']
      : [String(i + 1), s.text, s.kernel, s.userSpace, s.listed ? 'listed' : 'not listed']
    for (const c of cells) {
      const td = document.createElement('td')
      td.textContent = c
      tr.append(td)
    }
    tr.title = s.trace
    tr.addEventListener('click', () => text('trace', s.trace || s.error || ''))
    rows.append(tr)
  })
  document.body.dataset['state'] = 'ready'
}

let pending = 0
async function update(): Promise<void> {
  const q = ($('filter') as HTMLInputElement).value
  const s = ($('sockets') as HTMLTextAreaElement).value
  writeUrl(q, s)
  const ticket = ++pending
  document.body.dataset['state'] = 'busy'
  const r = await runPlayground(q, s.split('\n'))
  if (ticket !== pending) return
  show(r)
  // What the page now shows was computed from these inputs (tests wait on it).
  document.body.dataset['for'] = `${q}\n${s}`
}

function main(): void {
  const { q, s } = readUrl()
  ;($('filter') as HTMLInputElement).value = q
  ;($('sockets') as HTMLTextAreaElement).value = s
  let timer: ReturnType<typeof setTimeout> | undefined
  const soon = (): void => {
    clearTimeout(timer)
    timer = setTimeout(() => void update(), 120)
  }
  $('filter').addEventListener('input', soon)
  $('sockets').addEventListener('input', soon)
  window.addEventListener('hashchange', () => {
    const u = readUrl()
    ;($('filter') as HTMLInputElement).value = u.q
    ;($('sockets') as HTMLTextAreaElement).value = u.s
    void update()
  })
  void update()
}

main()
