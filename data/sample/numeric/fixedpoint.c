/* Q16.16 fixed-point arithmetic: multiply, divide, square root and a polynomial. */
#include <stdint.h>

typedef int32_t q16;

q16 q_mul(q16 a, q16 b) { return (q16)(((int64_t)a * b) >> 16); }
q16 q_div(q16 a, q16 b) { return b ? (q16)(((int64_t)a << 16) / b) : 0; }

q16 q_sqrt(q16 x) {
  if (x <= 0) return 0;
  q16 r = x > (1 << 16) ? x >> 1 : 1 << 16;
  for (int i = 0; i < 16; i++) r = (r + q_div(x, r)) >> 1;
  return r;
}

q16 poly(q16 x, const q16 *c, int n) {
  q16 acc = 0;
  for (int i = n - 1; i >= 0; i--) acc = q_mul(acc, x) + c[i];
  return acc;
}

int main(void) {
  q16 c[4] = {1 << 16, -(2 << 16), 3 << 15, 1 << 14};
  q16 s = 0;
  for (int i = 1; i < 50; i++) s += poly(q_sqrt(i << 16), c, 4);
  return s == 0;
}
