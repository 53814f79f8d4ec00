/**
 * The word splitter of the golden case files (test/golden/*-cases.txt,
 * compile-corpus.txt): spaces separate words, '…' is literal, "…" knows
 * \t \n \r \\ \" \', a bare backslash quotes the next character.
 */
export function splitWords(text: string): string[] {
  const words: string[] = []
  let word: string | null = null
  const escapes: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', '\\': '\\', '"': '"', "'": "'" }
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === ' ') {
      if (word !== null) words.push(word)
      word = null
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1)
      if (end < 0) throw new SyntaxError(`unterminated ' in ${text}`)
      word = (word ?? '') + text.slice(i + 1, end)
      i = end
    } else if (c === '"') {
      word ??= ''
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\') {
          const e = escapes[text[++i] ?? '']
          if (e === undefined) throw new SyntaxError(`unknown escape in ${text}`)
          word += e
        } else {
          word += text[i]
        }
      }
      if (i >= text.length) throw new SyntaxError(`unterminated " in ${text}`)
    } else if (c === '\\') {
      word = (word ?? '') + (text[++i] ?? '')
    } else {
      word = (word ?? '') + c
    }
  }
  if (word !== null) words.push(word)
  return words
}
