#!/bin/bash
# Input encodings: BOM, <meta charset>, http-equiv, none declared (UTF-8
# validity, then uchardet), a false UTF-8 declaration; output always UTF-8.
. "$(dirname "$0")/lib.sh"

cat > "$TMP/enc.lua" <<'LUA'
return function(page)
  local d = page.doc
  return { encoding = d:encoding(), h1 = d:first("h1"):text(),
           footer = d:first("footer"):text() }
end
LUA

ru_h1="Городской совет утвердил бюджет на следующий год"
ru_footer="© 2024 Городские новости. Все права защищены."
check() { # check PAGE ENCODING H1 FOOTER
  out=$("$PIPE" run "$TMP/enc.lua" "$PAGES/$1")
  expect_eq "$1: encoding" "\"$2\"" "$(printf '%s' "$out" | jq .encoding)"
  expect_eq "$1: h1" "$3" "$(printf '%s' "$out" | jq -r .h1)"
  expect_eq "$1: footer" "$4" "$(printf '%s' "$out" | jq -r .footer)"
  expect_eq "$1: select h1" "$3" "$("$PIPE" select h1 "$PAGES/$1")"
}
check enc-windows-1251.html windows-1251 "$ru_h1" "$ru_footer"
check enc-koi8-r.html koi8-r "$ru_h1" "(c) 2024 Городские новости. Все права защищены."
check enc-iso-8859-1.html windows-1252 "Le budget municipal adopté à l’unanimité" "© 2024 Le Quotidien"
check enc-utf-16le.html utf-16le "Міська рада ухвалила бюджет" "© 2024 Міські новини"
check enc-windows-1251-nometa.html windows-1251 "$ru_h1" "$ru_footer"
check enc-utf-8-lie.html windows-1251 "$ru_h1" "$ru_footer"
# longer than uchardet's sample (its first 2048 bytes >= 0x80): detected
# from the sample, the whole page converted
check enc-windows-1251-long.html windows-1251 "$ru_h1" "$ru_footer"
check enc-shift_jis-long.html cp932 "市議会、来年度予算案を可決" \
  "(c) 2024 市民新聞。無断転載を禁じます。"
expect_eq "enc-windows-1251-long.html: every paragraph" 17 \
  "$("$PIPE" select p "$PAGES/enc-windows-1251-long.html" | wc -l)"
# declared UTF-8 with two stray windows-1252 bytes: stays UTF-8, as in a
# browser; the stray bytes (and only they) become U+FFFD
check enc-utf-8-stray.html utf-8 "Stadtrat beschließt Haushalt für das nächste Jahr" \
  "© 2024 Stadtnachrichten. Alle Rechte vorbehalten."
expect_eq "utf-8 page with stray bytes: U+FFFD for each stray byte" \
  "Zitat aus dem Archiv: �Grüße aus M�nchen" \
  "$("$PIPE" select .note "$PAGES/enc-utf-8-stray.html")"

expect_eq "iso-8859-1 page: cp1252 bytes (euro, curly quotes)" \
  "Le conseil municipal a adopté mardi le budget de l’année prochaine : 4,2 millions d’€ pour les écoles." \
  "$("$PIPE" select 'article p:first-of-type' "$PAGES/enc-iso-8859-1.html")"
expect_eq "strip of a koi8-r page is UTF-8" "Городской совет утвердил бюджет на следующий год" \
  "$("$PIPE" strip "$PAGES/enc-koi8-r.html" | sed -n '/^Городской/p')"

# --encoding forces the decoder (and wins over the meta tag)
out=$("$PIPE" run --encoding koi8-r "$TMP/enc.lua" "$PAGES/enc-windows-1251.html")
expect_eq "forced encoding is used" '"koi8-r"' "$(printf '%s' "$out" | jq .encoding)"

# all output is valid UTF-8, even for binary junk
head -c 50000 /dev/urandom > "$TMP/junk.html"
"$PIPE" strip "$TMP/junk.html" > "$TMP/junk.txt"
expect_status "junk strip is valid UTF-8" 0 iconv -f UTF-8 -t UTF-8 "$TMP/junk.txt"
printf '<p>caf\xe9 cr\xe8me</p>' > "$TMP/latin.html"
expect_eq "undeclared non-UTF-8 bytes are detected" "café crème" "$("$PIPE" select p "$TMP/latin.html")"
printf '\xef\xbb\xbf<p>bom \xe2\x80\x94 utf-8</p>' > "$TMP/bom.html"
expect_eq "UTF-8 BOM" "bom — utf-8" "$("$PIPE" select p "$TMP/bom.html")"
printf '\xfe\xff\x00<\x00p\x00>\x04\x1f\x04\x40\x04\x38' > "$TMP/be.html"
expect_eq "UTF-16BE BOM" "При" "$("$PIPE" select p "$TMP/be.html")"
