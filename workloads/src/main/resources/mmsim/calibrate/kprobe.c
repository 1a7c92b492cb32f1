/*
 * kprobe: measures what this host's Linux kernel charges for the operations mmsim models, so that
 * mmsim's cost model can be fitted to it (mmsim calibrate). mmsim.calibrate.KernelProbe extracts
 * this file, compiles it with `gcc -O2 -pthread [-static] -o kprobe kprobe.c` and parses its output.
 *
 * Usage: kprobe [--quick] [--reps N]
 *   --quick   fewer repetitions and smaller regions: finishes in about a second (for tests)
 *   --reps N  the base repetition count (default 1000, 100 with --quick); each op derives its
 *             sample count from it (see struct settings)
 *   kprobe --exec-target <t0_ns> <fd> is the hidden mode the exec op runs: it writes
 *   CLOCK_MONOTONIC now - t0_ns (8 bytes, host order) to fd and exits.
 *
 * Output (stdout), one record a line, fields separated by commas; no field holds a comma:
 *   host,<key>,<value>            a fact about the host or the run's settings
 *   unit,<op>,<unit>              the unit of the op's samples: GHz for clock_ghz, ns for all others
 *   sample,<op>,<param>,<value>   one sample; param is an integer (pages for fork, else 0)
 *   skipped,<op>,<reason>         the op could not be measured here
 * Diagnostics go to stderr; a failure exits with status 1.
 *
 * Ops (param 0 unless said; each sample in ns unless said):
 *   clock_ghz                 core clock in GHz (cycles per ns): a chain of dependent adds, 1 per cycle
 *   null_syscall              syscall(SYS_getppid); one sample = a batch of 64 calls / 64
 *   page_zero                 memset of one page at a cache-cold address; a batch of 16 pages / 16
 *   page_copy                 memcpy of one cold page to another cold page; a batch of 16 / 16
 *   fault_demand_zero         first write to a page of a fresh private anonymous mapping
 *   fault_cow_copy            write to a page a forked child still maps: copy-on-write with a copy
 *   fault_cow_reuse           write to a page after the forked child exited: Linux reuses the page
 *                             (the fault ops: one sample = a batch of 64 faults / 64)
 *   fork                      fork() as the parent sees it; param = pages the parent has faulted in
 *                             in an extra private mapping (0, 1024, 4096, 16384, 65536)
 *   exec                      from just before execve() in a forked child to main() of the new image
 *   mmap                      mmap of one anonymous page, untouched
 *   munmap                    munmap of one written page
 *   mprotect                  mprotect(PROT_READ) of one written page (revoking write flushes the TLB)
 *   madvise_dontneed          madvise(MADV_DONTNEED) of one written page
 *   *_sibling                 the same while a sibling thread spins in user space on another CPU,
 *                             so the flush must reach it (one TLB-shootdown IPI per call)
 *   membarrier_alone          membarrier(PRIVATE_EXPEDITED) with no other thread running: no IPI
 *   ipi_roundtrip             the same while a sibling thread spins on another CPU: one IPI there and back
 *   context_switch            two processes on one CPU ping-pong a byte over two pipes; one sample =
 *                             round trip / 2, so it includes one pipe write and one pipe read
 *                             (lmbench lat_ctx style); a batch of 8 round trips per sample
 *
 * The measuring thread runs pinned to the first CPU it may use, the sibling to the second; a sibling
 * op waits before each sample until it sees the sibling spin, so that the sibling is on its CPU when
 * the call is timed. Regions are madvise(MADV_NOHUGEPAGE) so that every fault is one base page. Each
 * op runs untimed a while before it samples. Other work on either CPU disturbs the samples: the host
 * facts loadavg_start and loadavg_end (/proc/loadavg) tell how busy the host was.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SYSCALL_BATCH 64
#define PAGE_BATCH 16
#define FAULT_BATCH 64
#define SWITCH_BATCH 8
#define COW_REGION_PAGES 4096
#define ADDS_PER_ITERATION 16
#define CLOCK_ITERATIONS 1000000L

/* Sample counts and region sizes, all derived from --reps and --quick. */
struct settings {
    int quick;
    int reps;              /* samples of each single-call op */
    int fault_samples;     /* batches of FAULT_BATCH faults */
    int fork_samples;      /* samples of fork at each size, and of exec */
    int clock_samples;
    long page_buffer_mib;  /* the cold buffer page_zero and page_copy walk */
};

static const long FORK_PAGES_FULL[] = {0, 1024, 4096, 16384, 65536};
static const long FORK_PAGES_QUICK[] = {0, 1024, 4096};

static struct settings cfg;
static long page_size;
static int measure_cpu = -1;
static int sibling_cpu = -1;
static double *samples;
static int samples_cap;

#define COMPILER_BARRIER() __asm__ __volatile__("" ::: "memory")

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("pause");
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void die(const char *what) {
    fprintf(stderr, "kprobe: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int warmup_count(int n) {
    return n / 10 < 5 ? 5 : n / 10;
}

/* ---- output ---- */

/* Prints s with commas and line breaks replaced, so that the field stays one field. */
static void print_field(const char *s) {
    for (; *s; s++) {
        char c = *s;
        putchar(c == ',' ? ';' : (c == '\n' || c == '\r' || c == '\t') ? ' ' : c);
    }
}

static void host(const char *key, const char *value) {
    printf("host,%s,", key);
    print_field(value);
    putchar('\n');
}

static void host_long(const char *key, long value) {
    printf("host,%s,%ld\n", key, value);
}

static void skipped(const char *op, const char *reason) {
    printf("skipped,%s,", op);
    print_field(reason);
    putchar('\n');
    fflush(stdout);
}

static void emit(const char *op, long param, const char *unit, int n) {
    printf("unit,%s,%s\n", op, unit);
    for (int i = 0; i < n; i++) {
        printf("sample,%s,%ld,%.4f\n", op, param, samples[i]);
    }
    fflush(stdout);
}

static void emit_ns(const char *op, long param, int n) {
    emit(op, param, "ns", n);
}

/* ---- CPUs ---- */

static int pin_self(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

/*
 * Lets the next fork place its child on the sibling CPU: a child pinned to the measuring CPU would
 * preempt the parent right after fork and its run would be counted in the parent's time.
 */
static void allow_sibling_cpu(void) {
    if (sibling_cpu < 0) {
        return;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(measure_cpu, &set);
    CPU_SET(sibling_cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        die("sched_setaffinity");
    }
}

static void pin_measure_cpu(void) {
    if (pin_self(measure_cpu) != 0) {
        die("sched_setaffinity");
    }
}

static void choose_cpus(void) {
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
        die("sched_getaffinity");
    }
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &allowed)) {
            continue;
        }
        if (measure_cpu < 0) {
            measure_cpu = cpu;
        } else if (sibling_cpu < 0) {
            sibling_cpu = cpu;
        }
    }
    pin_measure_cpu();
}

/* A sibling thread of this process that spins in user space on the sibling CPU, so that this mm is
 * live there: a TLB flush or membarrier of the mm must interrupt it. */
static atomic_int sibling_stop;
static atomic_int sibling_state; /* 0 starting, 1 spinning, -1 could not pin */
static atomic_ulong sibling_spins;
static int sibling_active;
static pthread_t sibling_thread;

static void *sibling_spin(void *unused) {
    (void)unused;
    if (pin_self(sibling_cpu) != 0) {
        atomic_store(&sibling_state, -1);
        return NULL;
    }
    atomic_store(&sibling_state, 1);
    unsigned long spins = 0;
    while (!atomic_load_explicit(&sibling_stop, memory_order_relaxed)) {
        /* a plain store, not an atomic add: the line stays in the sibling's cache while nobody reads it */
        atomic_store_explicit(&sibling_spins, ++spins, memory_order_relaxed);
    }
    return NULL;
}

/*
 * Returns once the sibling is seen spinning, that is, on its CPU right now. The sibling CPU may be
 * shared with other work; a call timed while the sibling is off its CPU would need no IPI. Neither
 * loop executes pause: in a VM, pause-loop exiting would take the spinning vCPU off its physical CPU,
 * and a paravirtual TLB flush skips a preempted vCPU instead of interrupting it.
 */
static void await_sibling_on_cpu(void) {
    if (!sibling_active) {
        return;
    }
    unsigned long seen = atomic_load_explicit(&sibling_spins, memory_order_relaxed);
    while (atomic_load_explicit(&sibling_spins, memory_order_relaxed) == seen) {
    }
}

/* Starts the spinning sibling; returns a reason it cannot, or NULL once it spins. */
static const char *start_sibling(void) {
    if (sibling_cpu < 0) {
        return "only one CPU available";
    }
    atomic_store(&sibling_stop, 0);
    atomic_store(&sibling_state, 0);
    if (pthread_create(&sibling_thread, NULL, sibling_spin, NULL) != 0) {
        return "pthread_create failed";
    }
    int state;
    while ((state = atomic_load(&sibling_state)) == 0) {
        cpu_relax();
    }
    if (state < 0) {
        pthread_join(sibling_thread, NULL);
        return "cannot pin a thread to the sibling CPU";
    }
    sibling_active = 1;
    return NULL;
}

static void stop_sibling(void) {
    atomic_store(&sibling_stop, 1);
    pthread_join(sibling_thread, NULL);
    sibling_active = 0;
}

/* ---- memory ---- */

static char *map_region(long pages) {
    size_t len = (size_t)pages * (size_t)page_size;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        die("mmap");
    }
    /* Best effort: a kernel without THP has no huge pages to avoid. */
    madvise(p, len, MADV_NOHUGEPAGE);
    return p;
}

static void unmap_region(char *p, long pages) {
    if (munmap(p, (size_t)pages * (size_t)page_size) != 0) {
        die("munmap");
    }
}

static void write_pages(char *p, long pages) {
    volatile char *v = p;
    for (long i = 0; i < pages; i++) {
        v[i * page_size] = 1;
    }
}

/* Times the first write to each page of p in batches; appends up to max - *n samples (ns per page). */
static void time_page_writes(char *p, long pages, int *n, int max) {
    volatile char *v = p;
    for (long first = 0; first + FAULT_BATCH <= pages && *n < max; first += FAULT_BATCH) {
        uint64_t t0 = now_ns();
        for (long i = first; i < first + FAULT_BATCH; i++) {
            v[i * page_size] = 2;
        }
        uint64_t t1 = now_ns();
        samples[(*n)++] = (double)(t1 - t0) / FAULT_BATCH;
    }
}

/* ---- host facts ---- */

static int read_line_of(const char *path, char *out, size_t len) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    int ok = fgets(out, (int)len, f) != NULL;
    fclose(f);
    if (!ok) {
        return -1;
    }
    out[strcspn(out, "\n")] = '\0';
    return 0;
}

/* The value of the first "key<tabs>: value" line of /proc/cpuinfo, or "" if none. */
static void cpuinfo_value(const char *key, char *out, size_t len) {
    out[0] = '\0';
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL) {
        return;
    }
    char line[4096];
    size_t keylen = strlen(key);
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, key, keylen) != 0 || (line[keylen] != '\t' && line[keylen] != ' ' && line[keylen] != ':')) {
            continue;
        }
        char *colon = strchr(line, ':');
        if (colon == NULL) {
            continue;
        }
        char *value = colon + 1;
        while (*value == ' ') {
            value++;
        }
        value[strcspn(value, "\n")] = '\0';
        snprintf(out, len, "%s", value);
        break;
    }
    fclose(f);
}

static int has_word(const char *list, const char *word) {
    size_t n = strlen(word);
    for (const char *p = strstr(list, word); p != NULL; p = strstr(p + 1, word)) {
        int starts = p == list || p[-1] == ' ';
        int ends = p[n] == '\0' || p[n] == ' ';
        if (starts && ends) {
            return 1;
        }
    }
    return 0;
}

static void append_hint(char *out, size_t len, const char *hint) {
    size_t used = strlen(out);
    snprintf(out + used, len - used, "%s%s", used ? "; " : "", hint);
}

static void print_virtualization(void) {
    char hints[1024] = "";
    char buf[4096];
    cpuinfo_value("flags", buf, sizeof buf);
    if (has_word(buf, "hypervisor")) {
        append_hint(hints, sizeof hints, "vm");
    }
    char line[256];
    char hint[320];
    if (read_line_of("/sys/class/dmi/id/sys_vendor", line, sizeof line) == 0 && line[0]) {
        snprintf(hint, sizeof hint, "sys_vendor=%s", line);
        append_hint(hints, sizeof hints, hint);
    }
    if (read_line_of("/sys/class/dmi/id/product_name", line, sizeof line) == 0 && line[0]) {
        snprintf(hint, sizeof hint, "product_name=%s", line);
        append_hint(hints, sizeof hints, hint);
    }
    struct stat st;
    if (stat("/.dockerenv", &st) == 0) {
        append_hint(hints, sizeof hints, "container=docker (/.dockerenv)");
    }
    if (stat("/run/.containerenv", &st) == 0) {
        append_hint(hints, sizeof hints, "container=podman (/run/.containerenv)");
    }
    if (read_line_of("/run/systemd/container", line, sizeof line) == 0 && line[0]) {
        snprintf(hint, sizeof hint, "container=%s (/run/systemd/container)", line);
        append_hint(hints, sizeof hints, hint);
    }
    host("virtualization", hints[0] ? hints : "bare-metal");
}

/* Whether this image was linked statically: a dynamic one names its loader in a PT_INTERP header. */
static int linked_statically(void) {
    const ElfW(Phdr) *phdr = (const ElfW(Phdr) *)getauxval(AT_PHDR);
    unsigned long count = getauxval(AT_PHNUM);
    for (unsigned long i = 0; phdr != NULL && i < count; i++) {
        if (phdr[i].p_type == PT_INTERP) {
            return 0;
        }
    }
    return 1;
}

static double median_of_sorted(const double *v, int n) {
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static void print_host_info(void) {
    char buf[4096];
    char model[4400];
    cpuinfo_value("model name", buf, sizeof buf);
    if (buf[0]) {
        char family[64];
        char modelnr[64];
        cpuinfo_value("cpu family", family, sizeof family);
        cpuinfo_value("model", modelnr, sizeof modelnr);
        snprintf(model, sizeof model, "%s family %s model %s", buf, family[0] ? family : "?", modelnr[0] ? modelnr : "?");
    } else {
        char implementer[64];
        char part[64];
        cpuinfo_value("CPU implementer", implementer, sizeof implementer);
        cpuinfo_value("CPU part", part, sizeof part);
        snprintf(model, sizeof model, "implementer %s part %s", implementer[0] ? implementer : "?", part[0] ? part : "?");
    }
    host("cpu_model", model);
    cpuinfo_value("cpu MHz", buf, sizeof buf);
    host("cpu_mhz", buf[0] ? buf : "unknown");

    struct utsname u;
    if (uname(&u) == 0) {
        char kernel[sizeof u.release + sizeof u.version + 2];
        snprintf(kernel, sizeof kernel, "%s %s", u.release, u.version);
        host("kernel", kernel);
        host("arch", u.machine);
    }
    host_long("cores", sysconf(_SC_NPROCESSORS_ONLN));
    host("loadavg_start", read_line_of("/proc/loadavg", buf, sizeof buf) == 0 ? buf : "unknown");
    print_virtualization();
    host("thp", read_line_of("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof buf) == 0 ? buf : "unknown");
    host("kpti", read_line_of("/sys/devices/system/cpu/vulnerabilities/meltdown", buf, sizeof buf) == 0 ? buf : "unknown");
    host("llc", read_line_of("/sys/devices/system/cpu/cpu0/cache/index3/size", buf, sizeof buf) == 0 ? buf : "unknown");
    host("exec_target", linked_statically() ? "static" : "dynamic");
    host_long("page_size", page_size);
    host_long("measure_cpu", measure_cpu);
    if (sibling_cpu >= 0) {
        host_long("sibling_cpu", sibling_cpu);
    } else {
        host("sibling_cpu", "none");
    }
    host_long("quick", cfg.quick);
    host_long("reps", cfg.reps);
    host_long("fault_samples", cfg.fault_samples);
    host_long("fault_batch_pages", FAULT_BATCH);
    host_long("fork_samples", cfg.fork_samples);
    host_long("clock_samples", cfg.clock_samples);
    host_long("page_buffer_mib", cfg.page_buffer_mib);

    /* What one clock read costs, so a reader can judge the single-call samples. */
    int n = cfg.reps;
    for (int i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        uint64_t t1 = now_ns();
        samples[i] = (double)(t1 - t0);
    }
    qsort(samples, (size_t)n, sizeof samples[0], compare_doubles);
    snprintf(buf, sizeof buf, "%.1f", median_of_sorted(samples, n));
    host("clock_read_ns", buf);
    fflush(stdout);
}

/* ---- ops ---- */

#if defined(__x86_64__)
#define ADD_CHAIN_STEP "add %[one], %[x]\n\t"
#define ADD_CHAIN_LOOP_END "dec %[n]\n\tjnz 1b\n\t"
#elif defined(__aarch64__)
#define ADD_CHAIN_STEP "add %[x], %[x], %[one]\n\t"
#define ADD_CHAIN_LOOP_END "subs %[n], %[n], #1\n\tb.ne 1b\n\t"
#endif

#ifdef ADD_CHAIN_STEP
#define ADD_CHAIN_STEP4 ADD_CHAIN_STEP ADD_CHAIN_STEP ADD_CHAIN_STEP ADD_CHAIN_STEP
/* Runs iterations * ADDS_PER_ITERATION dependent adds: each waits for the one before, one a cycle. */
static uint64_t add_chain(uint64_t iterations) {
    uint64_t x = 0;
    uint64_t one = 1;
    __asm__ __volatile__(
        "1:\n\t"
        ADD_CHAIN_STEP4 ADD_CHAIN_STEP4 ADD_CHAIN_STEP4 ADD_CHAIN_STEP4
        ADD_CHAIN_LOOP_END
        : [x] "+r"(x), [n] "+r"(iterations)
        : [one] "r"(one)
        : "cc");
    return x;
}

static void op_clock_ghz(void) {
    for (int i = 0; i < warmup_count(cfg.clock_samples); i++) {
        add_chain(CLOCK_ITERATIONS);
    }
    for (int i = 0; i < cfg.clock_samples; i++) {
        uint64_t t0 = now_ns();
        add_chain(CLOCK_ITERATIONS);
        uint64_t t1 = now_ns();
        samples[i] = (double)(CLOCK_ITERATIONS * ADDS_PER_ITERATION) / (double)(t1 - t0);
    }
    emit("clock_ghz", 0, "GHz", cfg.clock_samples);
}
#else
static void op_clock_ghz(void) {
    skipped("clock_ghz", "no add-chain loop written for this architecture");
}
#endif

static void op_null_syscall(void) {
    int warm = warmup_count(cfg.reps);
    for (int i = 0; i < warm + cfg.reps; i++) {
        uint64_t t0 = now_ns();
        for (int j = 0; j < SYSCALL_BATCH; j++) {
            syscall(SYS_getppid);
        }
        uint64_t t1 = now_ns();
        if (i >= warm) {
            samples[i - warm] = (double)(t1 - t0) / SYSCALL_BATCH;
        }
    }
    emit_ns("null_syscall", 0, cfg.reps);
}

/* page_zero and page_copy walk this buffer round and round, so each page they touch was last touched
 * a whole buffer (several times the LLC) ago. */
static char *cold_buffer;
static long cold_pages;
static long cold_cursor;

static char *next_cold_page(void) {
    char *p = cold_buffer + cold_cursor * page_size;
    cold_cursor = (cold_cursor + 1) % cold_pages;
    return p;
}

static void op_page_zero(void) {
    int warm = warmup_count(cfg.reps);
    for (int i = 0; i < warm + cfg.reps; i++) {
        char *pages[PAGE_BATCH];
        for (int j = 0; j < PAGE_BATCH; j++) {
            pages[j] = next_cold_page();
        }
        uint64_t t0 = now_ns();
        for (int j = 0; j < PAGE_BATCH; j++) {
            memset(pages[j], 0, (size_t)page_size);
        }
        COMPILER_BARRIER();
        uint64_t t1 = now_ns();
        if (i >= warm) {
            samples[i - warm] = (double)(t1 - t0) / PAGE_BATCH;
        }
    }
    emit_ns("page_zero", 0, cfg.reps);
}

static void op_page_copy(void) {
    int warm = warmup_count(cfg.reps);
    for (int i = 0; i < warm + cfg.reps; i++) {
        char *from[PAGE_BATCH];
        char *to[PAGE_BATCH];
        for (int j = 0; j < PAGE_BATCH; j++) {
            from[j] = next_cold_page();
            to[j] = next_cold_page();
        }
        uint64_t t0 = now_ns();
        for (int j = 0; j < PAGE_BATCH; j++) {
            memcpy(to[j], from[j], (size_t)page_size);
        }
        COMPILER_BARRIER();
        uint64_t t1 = now_ns();
        if (i >= warm) {
            samples[i - warm] = (double)(t1 - t0) / PAGE_BATCH;
        }
    }
    emit_ns("page_copy", 0, cfg.reps);
}

static void ops_page_zero_and_copy(void) {
    cold_pages = cfg.page_buffer_mib * 1024 * 1024 / page_size;
    cold_buffer = map_region(cold_pages);
    memset(cold_buffer, 1, (size_t)cold_pages * (size_t)page_size);
    cold_cursor = 0;
    op_page_zero();
    op_page_copy();
    unmap_region(cold_buffer, cold_pages);
}

static void op_fault_demand_zero(void) {
    char *scratch = map_region(COW_REGION_PAGES / 8);
    write_pages(scratch, COW_REGION_PAGES / 8);
    unmap_region(scratch, COW_REGION_PAGES / 8);
    int n = 0;
    while (n < cfg.fault_samples) {
        char *region = map_region(COW_REGION_PAGES);
        time_page_writes(region, COW_REGION_PAGES, &n, cfg.fault_samples);
        unmap_region(region, COW_REGION_PAGES);
    }
    emit_ns("fault_demand_zero", 0, n);
}

/*
 * One round of a copy-on-write op over a fresh region of `pages` pages the parent has faulted in:
 * fork a child that either keeps the pages (blocks on a pipe until the parent has written them all:
 * every write copies) or exits at once (reaped before the writes: every write reuses the page).
 */
static void cow_round(long pages, int child_keeps, int *n, int max) {
    char *region = map_region(pages);
    write_pages(region, pages);
    int release[2];
    if (pipe(release) != 0) {
        die("pipe");
    }
    allow_sibling_cpu();
    pid_t child = fork();
    if (child < 0) {
        die("fork");
    }
    if (child == 0) {
        if (child_keeps) {
            char byte;
            close(release[1]);
            while (read(release[0], &byte, 1) < 0 && errno == EINTR) {
            }
        }
        _exit(0);
    }
    pin_measure_cpu();
    close(release[0]);
    if (!child_keeps && waitpid(child, NULL, 0) != child) {
        die("waitpid");
    }
    time_page_writes(region, pages, n, max);
    close(release[1]);
    if (child_keeps && waitpid(child, NULL, 0) != child) {
        die("waitpid");
    }
    unmap_region(region, pages);
}

static void op_cow(const char *op, int child_keeps) {
    int discarded = 0;
    cow_round(COW_REGION_PAGES / 8, child_keeps, &discarded, INT_MAX);
    int n = 0;
    while (n < cfg.fault_samples) {
        cow_round(COW_REGION_PAGES, child_keeps, &n, cfg.fault_samples);
    }
    emit_ns(op, 0, n);
}

static void op_fork(long extra_pages) {
    char *extra = NULL;
    if (extra_pages > 0) {
        extra = map_region(extra_pages);
        write_pages(extra, extra_pages);
    }
    int warm = 2;
    for (int i = 0; i < warm + cfg.fork_samples; i++) {
        allow_sibling_cpu();
        uint64_t t0 = now_ns();
        pid_t child = fork();
        if (child == 0) {
            _exit(0);
        }
        uint64_t t1 = now_ns();
        if (child < 0) {
            die("fork");
        }
        pin_measure_cpu();
        if (waitpid(child, NULL, 0) != child) {
            die("waitpid");
        }
        if (i >= warm) {
            samples[i - warm] = (double)(t1 - t0);
        }
    }
    emit_ns("fork", extra_pages, cfg.fork_samples);
    if (extra != NULL) {
        unmap_region(extra, extra_pages);
    }
}

static int exec_target(const char *t0_text, const char *fd_text) {
    uint64_t now = now_ns();
    uint64_t elapsed = now - strtoull(t0_text, NULL, 10);
    int fd = atoi(fd_text);
    return write(fd, &elapsed, sizeof elapsed) == (ssize_t)sizeof elapsed ? 0 : 1;
}

static void op_exec(void) {
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len < 0) {
        skipped("exec", "cannot read /proc/self/exe");
        return;
    }
    self[len] = '\0';
    int warm = 2;
    for (int i = 0; i < warm + cfg.fork_samples; i++) {
        int result[2];
        if (pipe(result) != 0) {
            die("pipe");
        }
        allow_sibling_cpu();
        pid_t child = fork();
        if (child < 0) {
            die("fork");
        }
        if (child == 0) {
            close(result[0]);
            char fd_text[16];
            char t0_text[32];
            snprintf(fd_text, sizeof fd_text, "%d", result[1]);
            snprintf(t0_text, sizeof t0_text, "%llu", (unsigned long long)now_ns());
            char *argv[] = {self, "--exec-target", t0_text, fd_text, NULL};
            execv(self, argv);
            _exit(127);
        }
        pin_measure_cpu();
        close(result[1]);
        uint64_t elapsed;
        ssize_t got = read(result[0], &elapsed, sizeof elapsed);
        close(result[0]);
        int status;
        if (waitpid(child, &status, 0) != child) {
            die("waitpid");
        }
        if (got != (ssize_t)sizeof elapsed || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "kprobe: the exec target did not report (read %zd bytes, wait status %d)\n", got, status);
            exit(1);
        }
        if (i >= warm) {
            samples[i - warm] = (double)elapsed;
        }
    }
    emit_ns("exec", 0, cfg.fork_samples);
}

static char *map_one_page(void) {
    return map_region(1);
}

static void op_mmap(void) {
    int warm = warmup_count(cfg.reps);
    for (int i = 0; i < warm + cfg.reps; i++) {
        uint64_t t0 = now_ns();
        char *p = mmap(NULL, (size_t)page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        uint64_t t1 = now_ns();
        if (p == MAP_FAILED) {
            die("mmap");
        }
        unmap_region(p, 1);
        if (i >= warm) {
            samples[i - warm] = (double)(t1 - t0);
        }
    }
    emit_ns("mmap", 0, cfg.reps);
}

static void op_munmap(const char *op) {
    int warm = warmup_count(cfg.reps);
    for (int i = 0; i < warm + cfg.reps; i++) {
        char *p = map_one_page();
        *(volatile char *)p = 1;
        await_sibling_on_cpu();
        uint64_t t0 = now_ns();
        int rc = munmap(p, (size_t)page_size);
        uint64_t t1 = now_ns();
        if (rc != 0) {
            die("munmap");
        }
        if (i >= warm) {
            samples[i - warm] = (double)(t1 - t0);
        }
    }
    emit_ns(op, 0, cfg.reps);
}

static void op_mprotect(const char *op) {
    char *p = map_one_page();
    *(volatile char *)p = 1;
    int warm = warmup_count(cfg.reps);
    for (int i = 0; i < warm + cfg.reps; i++) {
        await_sibling_on_cpu();
        uint64_t t0 = now_ns();
        int rc = mprotect(p, (size_t)page_size, PROT_READ);
        uint64_t t1 = now_ns();
        if (rc != 0 || mprotect(p, (size_t)page_size, PROT_READ | PROT_WRITE) != 0) {
            die("mprotect");
        }
        *(volatile char *)p = (char)i;
        if (i >= warm) {
            samples[i - warm] = (double)(t1 - t0);
        }
    }
    unmap_region(p, 1);
    emit_ns(op, 0, cfg.reps);
}

static void op_madvise_dontneed(const char *op) {
    char *p = map_one_page();
    int warm = warmup_count(cfg.reps);
    for (int i = 0; i < warm + cfg.reps; i++) {
        *(volatile char *)p = 1;
        await_sibling_on_cpu();
        uint64_t t0 = now_ns();
        int rc = madvise(p, (size_t)page_size, MADV_DONTNEED);
        uint64_t t1 = now_ns();
        if (rc != 0) {
            die("madvise");
        }
        if (i >= warm) {
            samples[i - warm] = (double)(t1 - t0);
        }
    }
    unmap_region(p, 1);
    emit_ns(op, 0, cfg.reps);
}

static void ops_with_sibling(void) {
    const char *ops[] = {"munmap_sibling", "mprotect_sibling", "madvise_dontneed_sibling"};
    for (int i = 0; i < 3; i++) {
        const char *why = start_sibling();
        if (why != NULL) {
            skipped(ops[i], why);
            continue;
        }
        if (i == 0) {
            op_munmap(ops[i]);
        } else if (i == 1) {
            op_mprotect(ops[i]);
        } else {
            op_madvise_dontneed(ops[i]);
        }
        stop_sibling();
    }
}

static long membarrier(int cmd) {
    return syscall(__NR_membarrier, cmd, 0, 0);
}

static void op_membarrier(const char *op) {
    int warm = warmup_count(cfg.reps);
    for (int i = 0; i < warm + cfg.reps; i++) {
        await_sibling_on_cpu();
        uint64_t t0 = now_ns();
        long rc = membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
        uint64_t t1 = now_ns();
        if (rc != 0) {
            die("membarrier");
        }
        if (i >= warm) {
            samples[i - warm] = (double)(t1 - t0);
        }
    }
    emit_ns(op, 0, cfg.reps);
}

static void ops_membarrier(void) {
    if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0) {
        char why[160];
        snprintf(why, sizeof why, "membarrier(REGISTER_PRIVATE_EXPEDITED) failed: %s", strerror(errno));
        skipped("membarrier_alone", why);
        skipped("ipi_roundtrip", why);
        return;
    }
    op_membarrier("membarrier_alone");
    const char *why = start_sibling();
    if (why != NULL) {
        skipped("ipi_roundtrip", why);
        return;
    }
    op_membarrier("ipi_roundtrip");
    stop_sibling();
}

static void op_context_switch(void) {
    int to_child[2];
    int to_parent[2];
    if (pipe(to_child) != 0 || pipe(to_parent) != 0) {
        die("pipe");
    }
    fflush(stdout);
    /* The child inherits the pin to the measuring CPU: both processes share it. */
    pid_t child = fork();
    if (child < 0) {
        die("fork");
    }
    if (child == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        char byte;
        while (read(to_child[0], &byte, 1) == 1) {
            if (write(to_parent[1], &byte, 1) != 1) {
                _exit(1);
            }
        }
        _exit(0);
    }
    close(to_child[0]);
    close(to_parent[1]);
    int warm = warmup_count(cfg.reps);
    char byte = 'x';
    for (int i = 0; i < warm + cfg.reps; i++) {
        uint64_t t0 = now_ns();
        for (int j = 0; j < SWITCH_BATCH; j++) {
            if (write(to_child[1], &byte, 1) != 1 || read(to_parent[0], &byte, 1) != 1) {
                die("context_switch ping-pong");
            }
        }
        uint64_t t1 = now_ns();
        if (i >= warm) {
            samples[i - warm] = (double)(t1 - t0) / (2.0 * SWITCH_BATCH);
        }
    }
    close(to_child[1]);
    close(to_parent[0]);
    if (waitpid(child, NULL, 0) != child) {
        die("waitpid");
    }
    emit_ns("context_switch", 0, cfg.reps);
}

/* ---- main ---- */

static void usage(void) {
    fprintf(stderr, "usage: kprobe [--quick] [--reps N]\n");
    exit(2);
}

static void configure(int argc, char **argv) {
    int reps = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            cfg.quick = 1;
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            char *end;
            long value = strtol(argv[++i], &end, 10);
            if (*end != '\0' || value < 10 || value > 10000000) {
                fprintf(stderr, "kprobe: --reps wants an integer from 10 to 10000000, got '%s'\n", argv[i]);
                exit(2);
            }
            reps = (int)value;
        } else {
            usage();
        }
    }
    cfg.reps = reps ? reps : cfg.quick ? 100 : 1000;
    cfg.fault_samples = cfg.reps / 2 < 10 ? 10 : cfg.reps / 2;
    cfg.fork_samples = cfg.reps / 10 < 5 ? 5 : cfg.reps / 10;
    cfg.clock_samples = cfg.reps / 20 < 5 ? 5 : cfg.reps / 20;
    cfg.page_buffer_mib = cfg.quick ? 64 : 256;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--exec-target") == 0) {
        return exec_target(argv[2], argv[3]);
    }
    uint64_t start = now_ns();
    configure(argc, argv);
    page_size = sysconf(_SC_PAGESIZE);
    samples_cap = cfg.reps > cfg.fault_samples ? cfg.reps : cfg.fault_samples;
    samples = malloc((size_t)samples_cap * sizeof samples[0]);
    if (samples == NULL) {
        die("malloc");
    }
    choose_cpus();
    print_host_info();

    op_clock_ghz();
    op_null_syscall();
    op_mmap();
    op_munmap("munmap");
    op_mprotect("mprotect");
    op_madvise_dontneed("madvise_dontneed");
    ops_with_sibling();
    ops_membarrier();
    op_context_switch();
    ops_page_zero_and_copy();
    op_fault_demand_zero();
    op_cow("fault_cow_copy", 1);
    op_cow("fault_cow_reuse", 0);
    const long *sizes = cfg.quick ? FORK_PAGES_QUICK : FORK_PAGES_FULL;
    size_t count = cfg.quick ? sizeof FORK_PAGES_QUICK / sizeof FORK_PAGES_QUICK[0]
                             : sizeof FORK_PAGES_FULL / sizeof FORK_PAGES_FULL[0];
    for (size_t i = 0; i < count; i++) {
        op_fork(sizes[i]);
    }
    op_exec();

    char loadavg[256];
    host("loadavg_end", read_line_of("/proc/loadavg", loadavg, sizeof loadavg) == 0 ? loadavg : "unknown");
    host_long("probe_wall_ms", (long)((now_ns() - start) / 1000000));
    return 0;
}
