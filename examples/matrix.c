/* matrix: fixed-point matrix kernels (multiply, transpose, LU-style elimination)
 * on small integer matrices. Bundled with compiler-r1 as a loop-heavy example. */
#include <stdint.h>
#include <stdio.h>

#define N 24

typedef int32_t mat[N][N];

static void fill(mat m, uint32_t seed) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      seed = seed * 1103515245u + 12345u;
      m[i][j] = (int32_t)((seed >> 16) % 97) - 48;
    }
}

static void multiply(mat out, mat a, mat b) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      int64_t acc = 0;
      for (int k = 0; k < N; k++) acc += (int64_t)a[i][k] * b[k][j];
      out[i][j] = (int32_t)(acc >> 4);
    }
}

static void transpose(mat m) {
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++) {
      int32_t t = m[i][j];
      m[i][j] = m[j][i];
      m[j][i] = t;
    }
}

/* Integer elimination; returns the number of pivots found. */
static int eliminate(mat m) {
  int rank = 0;
  for (int col = 0; col < N && rank < N; col++) {
    int pivot = -1;
    for (int r = rank; r < N; r++)
      if (m[r][col] != 0) {
        pivot = r;
        break;
      }
    if (pivot < 0) continue;
    if (pivot != rank)
      for (int j = 0; j < N; j++) {
        int32_t t = m[rank][j];
        m[rank][j] = m[pivot][j];
        m[pivot][j] = t;
      }
    for (int r = rank + 1; r < N; r++) {
      /* 64-bit products: in 32 bits they overflow, which is undefined behaviour
         and lets the optimizer turn the program into anything. */
      int64_t f = m[r][col], p = m[rank][col];
      for (int j = col; j < N; j++) m[r][j] = (int32_t)(((int64_t)m[r][j] * p - (int64_t)m[rank][j] * f) % 65521);
    }
    rank++;
  }
  return rank;
}

static int64_t trace(mat m) {
  int64_t t = 0;
  for (int i = 0; i < N; i++) t += m[i][i];
  return t;
}

int main(void) {
  static mat a, b, c;
  fill(a, 1);
  fill(b, 2);
  multiply(c, a, b);
  transpose(c);
  int64_t tr = trace(c);
  int rank = eliminate(c);
  printf("trace %lld rank %d\n", (long long)tr, rank);
  return 0;
}
