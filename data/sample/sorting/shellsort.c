/* Shell sort with Ciura's gap sequence, and a check that the result is sorted. */
static const int gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};

void shellsort(int *v, int n) {
  for (unsigned g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
    int gap = gaps[g];
    for (int i = gap; i < n; i++) {
      int t = v[i], j = i;
      for (; j >= gap && v[j - gap] > t; j -= gap) v[j] = v[j - gap];
      v[j] = t;
    }
  }
}

int is_sorted(const int *v, int n) {
  for (int i = 1; i < n; i++)
    if (v[i - 1] > v[i]) return 0;
  return 1;
}

int main(void) {
  int v[200];
  unsigned x = 12345;
  for (int i = 0; i < 200; i++) {
    x = x * 1664525u + 1013904223u;
    v[i] = (int)(x >> 8) % 1000;
  }
  shellsort(v, 200);
  return is_sorted(v, 200) ? 0 : 1;
}
