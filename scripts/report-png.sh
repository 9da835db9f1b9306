#!/usr/bin/env bash
# Screenshots of a rendered report for docs/: first page and the page of table 三.
#   scripts/report-png.sh data/reports/2020/2020-report.docx docs
# Needs LibreOffice (soffice) and poppler-utils (pdftoppm, pdftotext):
#   apt-get install -y libreoffice-writer-nogui poppler-utils fonts-noto-cjk fonts-arphic-ukai
set -euo pipefail
docx=${1:?usage: report-png.sh REPORT.docx OUT_DIR}
out=${2:?usage: report-png.sh REPORT.docx OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export FONTCONFIG_FILE="$here/../include/disclosure/report/fonts.conf"
soffice --headless -env:UserInstallation="file://$work/profile" --convert-to pdf --outdir "$work" "$docx" >/dev/null
pdf="$work/$(basename "${docx%.*}").pdf"
# the page that holds 三's 勾稽 note is the page of table 三
pages=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
table_page=""
for ((p = 1; p <= pages; p++)); do
  if pdftotext -f "$p" -l "$p" "$pdf" - | tr -d ' \n' | grep -q "本列数据的勾稽关系"; then table_page=$p; break; fi
done
[[ -n "$table_page" ]] || { echo "table 三 not found in $pdf" >&2; exit 1; }
mkdir -p "$out"
pdftoppm -png -r 100 -singlefile -f 1 -l 1 "$pdf" "$out/report-page1"
pdftoppm -png -r 100 -singlefile -f "$table_page" -l "$table_page" "$pdf" "$out/report-table3"
echo "$out/report-page1.png $out/report-table3.png (table 三 on page $table_page of $pages)"
