/* Sieve of Eratosthenes and a Miller-Rabin check that agree on small numbers. */
#include <stdint.h>

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m) { return (uint64_t)((__uint128_t)a * b % m); }

static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m) {
  uint64_t r = 1;
  b %= m;
  while (e) {
    if (e & 1) r = mulmod(r, b, m);
    b = mulmod(b, b, m);
    e >>= 1;
  }
  return r;
}

int is_prime(uint64_t n) {
  if (n < 2) return 0;
  static const uint64_t bases[] = {2, 3, 5, 7, 11, 13, 17};
  uint64_t d = n - 1;
  int s = 0;
  while (!(d & 1)) {
    d >>= 1;
    s++;
  }
  for (int i = 0; i < 7; i++) {
    uint64_t a = bases[i];
    if (a % n == 0) continue;
    uint64_t x = powmod(a, d, n);
    if (x == 1 || x == n - 1) continue;
    int composite = 1;
    for (int r = 1; r < s && composite; r++) {
      x = mulmod(x, x, n);
      if (x == n - 1) composite = 0;
    }
    if (composite) return 0;
  }
  return 1;
}

int main(void) {
  static char sieve[1000];
  for (int i = 2; i < 1000; i++) sieve[i] = 1;
  for (int i = 2; i * i < 1000; i++)
    if (sieve[i])
      for (int j = i * i; j < 1000; j += i) sieve[j] = 0;
  for (int i = 0; i < 1000; i++)
    if (sieve[i] != is_prime((uint64_t)i)) return 1;
  return 0;
}
