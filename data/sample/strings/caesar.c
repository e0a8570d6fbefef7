/* Caesar and Vigenere ciphers over ASCII letters. */
static char shift(char c, int k) {
  if (c >= 'a' && c <= 'z') return (char)('a' + (c - 'a' + k + 26) % 26);
  if (c >= 'A' && c <= 'Z') return (char)('A' + (c - 'A' + k + 26) % 26);
  return c;
}

void caesar(char *s, int k) {
  for (; *s; s++) *s = shift(*s, k);
}

void vigenere(char *s, const char *key, int decrypt) {
  int n = 0;
  while (key[n]) n++;
  for (int i = 0; s[i]; i++) {
    int k = (key[i % n] | 32) - 'a';
    s[i] = shift(s[i], decrypt ? -k : k);
  }
}

int main(void) {
  char msg[] = "Attack at Dawn";
  caesar(msg, 3);
  caesar(msg, -3);
  vigenere(msg, "lemon", 0);
  vigenere(msg, "lemon", 1);
  return msg[0] == 'A' ? 0 : 1;
}
