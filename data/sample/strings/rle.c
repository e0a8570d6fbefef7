/* Run-length encoding and decoding of byte strings. */
#include <string.h>

int rle_encode(const unsigned char *in, int n, unsigned char *out) {
  int o = 0;
  for (int i = 0; i < n;) {
    int run = 1;
    while (i + run < n && in[i + run] == in[i] && run < 255) run++;
    out[o++] = (unsigned char)run;
    out[o++] = in[i];
    i += run;
  }
  return o;
}

int rle_decode(const unsigned char *in, int n, unsigned char *out) {
  int o = 0;
  for (int i = 0; i + 1 < n; i += 2)
    for (int k = 0; k < in[i]; k++) out[o++] = in[i + 1];
  return o;
}

int main(void) {
  const char *text = "aaaabbbccddddddddde";
  unsigned char enc[64], dec[64];
  int n = (int)strlen(text);
  int e = rle_encode((const unsigned char *)text, n, enc);
  int d = rle_decode(enc, e, dec);
  return d == n && memcmp(dec, text, (size_t)n) == 0 ? 0 : 1;
}
