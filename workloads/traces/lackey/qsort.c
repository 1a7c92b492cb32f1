#include <stdio.h>
#include <stdlib.h>
static int cmp(const void *a, const void *b) { return (*(const int*)a > *(const int*)b) - (*(const int*)a < *(const int*)b); }
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    int *a = malloc(n * sizeof *a);
    unsigned s = 12345;
    for (int i = 0; i < n; i++) { s = s * 1103515245u + 12345u; a[i] = (int)(s >> 8); }
    qsort(a, n, sizeof *a, cmp);
    long sum = 0;
    for (int i = 0; i < n; i += 97) sum += a[i];
    printf("%ld\n", sum);
    free(a);
    return 0;
}
