/* Sorted insertion and binary search over a fixed array. */
static int keys[64];
static int nkeys;

int find(int key) {
  int lo = 0, hi = nkeys - 1;
  while (lo <= hi) {
    int mid = lo + (hi - lo) / 2;
    if (keys[mid] == key) return mid;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

int insert(int key) {
  if (nkeys == 64 || find(key) >= 0) return 0;
  int i = nkeys++;
  while (i > 0 && keys[i - 1] > key) {
    keys[i] = keys[i - 1];
    i--;
  }
  keys[i] = key;
  return 1;
}

int main(void) {
  int added = 0;
  for (int i = 0; i < 100; i++) added += insert((i * 37) % 101);
  return find(42) >= 0 ? added : -1;
}
