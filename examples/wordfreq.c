/* wordfreq: counts words read from stdin with a chained hash table, sorts them
 * by frequency and prints the top entries with a CRC-32 of the input.
 * A small, self-contained program bundled with compiler-r1 for demos and tests. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_BITS 12
#define TABLE_SIZE (1u << TABLE_BITS)
#define MAX_WORD 64

struct entry {
  char word[MAX_WORD];
  unsigned count;
  struct entry *next;
};

static struct entry *table[TABLE_SIZE];
static unsigned distinct_words;
static uint32_t crc_table[256];

static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static uint32_t crc_update(uint32_t crc, const unsigned char *buf, size_t len) {
  crc = ~crc;
  for (size_t i = 0; i < len; i++) crc = crc_table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

/* FNV-1a, folded to the table size. */
static unsigned hash_word(const char *w) {
  uint32_t h = 2166136261u;
  while (*w) {
    h ^= (unsigned char)*w++;
    h *= 16777619u;
  }
  return (h ^ (h >> TABLE_BITS)) & (TABLE_SIZE - 1);
}

static void add_word(const char *w) {
  unsigned h = hash_word(w);
  for (struct entry *e = table[h]; e; e = e->next) {
    if (strcmp(e->word, w) == 0) {
      e->count++;
      return;
    }
  }
  struct entry *e = malloc(sizeof *e);
  if (!e) {
    perror("malloc");
    exit(1);
  }
  strncpy(e->word, w, MAX_WORD - 1);
  e->word[MAX_WORD - 1] = '\0';
  e->count = 1;
  e->next = table[h];
  table[h] = e;
  distinct_words++;
}

static int by_count_then_word(const void *a, const void *b) {
  const struct entry *x = *(const struct entry *const *)a;
  const struct entry *y = *(const struct entry *const *)b;
  if (x->count != y->count) return x->count < y->count ? 1 : -1;
  return strcmp(x->word, y->word);
}

/* Insertion sort for short runs, quicksort otherwise: exercises loops and calls. */
static void sort_entries(struct entry **v, size_t n) {
  if (n < 16) {
    for (size_t i = 1; i < n; i++) {
      struct entry *key = v[i];
      size_t j = i;
      while (j > 0 && by_count_then_word(&v[j - 1], &key) > 0) {
        v[j] = v[j - 1];
        j--;
      }
      v[j] = key;
    }
    return;
  }
  qsort(v, n, sizeof *v, by_count_then_word);
}

static int is_word_char(int c) { return isalnum(c) || c == '_' || c == '\''; }

int main(int argc, char **argv) {
  int top = argc > 1 ? atoi(argv[1]) : 10;
  if (top <= 0) top = 10;
  crc_init();

  char word[MAX_WORD];
  size_t len = 0;
  uint32_t crc = 0;
  unsigned long total = 0;
  unsigned char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, stdin)) > 0) {
    crc = crc_update(crc, buf, got);
    for (size_t i = 0; i < got; i++) {
      int c = buf[i];
      if (is_word_char(c)) {
        if (len < MAX_WORD - 1) word[len++] = (char)tolower(c);
      } else if (len > 0) {
        word[len] = '\0';
        add_word(word);
        total++;
        len = 0;
      }
    }
  }
  if (len > 0) {
    word[len] = '\0';
    add_word(word);
    total++;
  }

  struct entry **all = malloc((distinct_words + 1) * sizeof *all);
  if (!all) return 1;
  size_t n = 0;
  for (unsigned h = 0; h < TABLE_SIZE; h++)
    for (struct entry *e = table[h]; e; e = e->next) all[n++] = e;
  sort_entries(all, n);

  printf("%lu words, %u distinct, crc32 %08x\n", total, distinct_words, crc);
  for (size_t i = 0; i < n && i < (size_t)top; i++) printf("%7u %s\n", all[i]->count, all[i]->word);

  for (unsigned h = 0; h < TABLE_SIZE; h++) {
    struct entry *e = table[h];
    while (e) {
      struct entry *next = e->next;
      free(e);
      e = next;
    }
  }
  free(all);
  return 0;
}
