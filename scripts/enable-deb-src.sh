#!/usr/bin/env bash
# Enables Debian source packages (deb-src) for the Debian mirrors already configured, so that
# `apt-get source` works for the corpus builder (src/data/debian_source.h). Idempotent; run as root.
#
# It reads the binary (`deb`) entries for *.debian.org from the deb822 files
# (/etc/apt/sources.list.d/*.sources) and the one-line files (/etc/apt/sources.list, *.list), and writes
# the matching deb-src entries to one file of its own, so nothing configured by someone else is edited
# and non-Debian repositories are left alone. It then runs `apt-get update` (only when the file changed
# or no source index exists yet) and installs dpkg-dev (dpkg-source) and m4 if missing.
# Prints nothing on success except what apt reports as errors.
set -euo pipefail

OUT=/etc/apt/sources.list.d/cr1-deb-src.sources
[ "$(id -u)" = 0 ] || { echo "enable-deb-src: must run as root" >&2; exit 2; }

shopt -s nullglob
deb822_files=()
for f in /etc/apt/sources.list.d/*.sources; do [ "$f" = "$OUT" ] || deb822_files+=("$f"); done
oneline_files=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do [ -f "$f" ] && oneline_files+=("$f"); done

# Each entry becomes one line "URIS<TAB>SUITES<TAB>COMPONENTS<TAB>SIGNED_BY"; stanzas that already
# carry deb-src are skipped, since apt has them.
entries=$(
  {
    if ((${#deb822_files[@]})); then
      awk '
        function flush() {
          if (types ~ /(^| )deb( |$)/ && types !~ /deb-src/ && enabled !~ /^no$/ && uris ~ /debian\.org/)
            printf "%s\t%s\t%s\t%s\n", uris, suites, comps, signed
          types = uris = suites = comps = signed = enabled = ""; key = ""
        }
        FNR == 1 { flush() }
        /^[ \t]*#/ { next }
        /^[ \t]*$/ { flush(); next }
        /^[ \t]/ { # continuation line: only Signed-By (an inline key) spans lines; keep the field as is
          if (key == "signed-by") signed = signed "\n" $0
          next
        }
        {
          i = index($0, ":"); if (!i) next
          key = tolower(substr($0, 1, i - 1)); val = substr($0, i + 1)
          gsub(/^[ \t]+|[ \t]+$/, "", val); gsub(/[ \t]+/, " ", val)
          if (key == "types") types = val
          else if (key == "uris") uris = val
          else if (key == "suites") suites = val
          else if (key == "components") comps = val
          else if (key == "signed-by") signed = val
          else if (key == "enabled") enabled = tolower(val)
        }
        END { flush() }
      ' "${deb822_files[@]}"
    fi
    if ((${#oneline_files[@]})); then
      # "deb [opts] uri suite comp..." -> same fields; an existing deb-src line for the uri+suite wins.
      awk '
        /^[ \t]*#/ || NF < 3 { next }
        {
          type = $1; n = 2; signed = ""
          if ($2 ~ /^\[/) {
            while (n <= NF) {
              if ($n ~ /signed-by=/) { s = $n; sub(/.*signed-by=/, "", s); sub(/\]$/, "", s); signed = s }
              if ($n ~ /\]$/) { n++; break }
              n++
            }
          }
          uri = $n; suite = $(n + 1); comps = ""
          for (k = n + 2; k <= NF; k++) comps = comps (comps == "" ? "" : " ") $k
          if (type == "deb-src") have[uri " " suite] = 1
          else if (type == "deb" && uri ~ /debian\.org/) { key = uri " " suite; line[key] = uri "\t" suite "\t" comps "\t" signed; order[++cnt] = key }
        }
        END { for (i = 1; i <= cnt; i++) if (!(order[i] in have)) print line[order[i]] }
      ' "${oneline_files[@]}"
    fi
  } | awk '!seen[$0]++'
)

if [ -z "$entries" ]; then
  echo "enable-deb-src: no Debian (debian.org) 'deb' entries found in /etc/apt; nothing to enable" >&2
  exit 1
fi

content="# Written by compiler-r1 scripts/enable-deb-src.sh: source packages for the Debian mirrors above."
while IFS=$'\t' read -r uris suites comps signed; do
  content+=$'\n\n'"Types: deb-src"$'\n'"URIs: $uris"$'\n'"Suites: $suites"$'\n'"Components: ${comps:-main}"
  [ -n "$signed" ] && content+=$'\n'"Signed-By: $signed"
done <<<"$entries"
content+=$'\n'

changed=0
if [ ! -f "$OUT" ] || [ "$(cat "$OUT")"$'\n' != "$content" ]; then
  tmp=$(mktemp "$OUT.XXXXXX")
  printf '%s' "$content" >"$tmp"
  chmod 644 "$tmp"
  mv -f "$tmp" "$OUT"
  changed=1
fi

have_index=0
for f in /var/lib/apt/lists/*_Sources*; do have_index=1; break; done
if ((changed || !have_index)); then
  apt-get update -qq >/dev/null
fi

# dpkg-dev extracts (dpkg-source); m4 is what bison's and flex's configure scripts insist on.
missing=()
command -v dpkg-source >/dev/null 2>&1 || missing+=(dpkg-dev)
command -v m4 >/dev/null 2>&1 || missing+=(m4)
if ((${#missing[@]})); then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
