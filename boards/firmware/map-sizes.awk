# Sums the input sections a GNU ld map file takes from one archive (or object): prints
# "text=<n> rodata=<n> data=<n> bss=<n>". Only sections kept in the image count (the map's "Discarded input
# sections" list comes before "Linker script and memory map" and is skipped).
#   awk -f map-sizes.awk -v member=libwsruntime.a firmware.map        (POSIX awk: mawk, gawk, busybox)
function hexval(s,    i, c, v) {
    v = 0
    s = tolower(s)
    sub(/^0x/, "", s)
    for (i = 1; i <= length(s); i++) {
        c = index("0123456789abcdef", substr(s, i, 1))
        if (c == 0) return 0
        v = v * 16 + c - 1
    }
    return v
}
function add(section, size, file) {
    if (index(file, member "(") != 1 && index(file, "/" member "(") == 0 && file != member) return
    if (section ~ /^\.text/) text += hexval(size)
    else if (section ~ /^\.rodata/) rodata += hexval(size)
    else if (section ~ /^\.data/) data += hexval(size)
    else if (section ~ /^\.bss/ || section ~ /^COMMON/) bss += hexval(size)
}
/^Linker script and memory map/ { inmap = 1; next }
!inmap { next }
/^ [.A-Za-z_]/ && $1 !~ /^\*/ {
    if (NF >= 4 && $2 ~ /^0x/ && $3 ~ /^0x/) { add($1, $3, $4); pending = "" }
    else if (NF == 1) pending = $1
    else pending = ""
    next
}
pending != "" && /^ +0x/ && NF >= 3 { add(pending, $2, $3); pending = ""; next }
{ pending = "" }
END { printf "text=%d rodata=%d data=%d bss=%d\n", text, rodata, data, bss }
