/*
 * hsdis-amd64.so: the disassembler plugin HotSpot loads for -XX:+PrintAssembly (and so for JMH's perfasm
 * profiler), written on LLVM's C disassembler API because the JDKs here ship none. A development tool: nothing in
 * mmsim loads it. Build with build.sh beside it.
 *
 * HotSpot calls decode_instructions_virtual with a code range and two callbacks: one for events (each
 * instruction's start "insn" and end "/insn", the range's "insns" and "/insns"), through which it interleaves its
 * own annotations, and a printf-like one for the text. PrintAssemblyOptions containing "intel" selects Intel
 * syntax; the default is AT&T, as with the binutils plugin.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <llvm-c/Disassembler.h>

/* from llvm-c/Target.h, which needs a generated header the distribution's llvm-c package lacks */
extern void LLVMInitializeX86TargetInfo(void);
extern void LLVMInitializeX86TargetMC(void);
extern void LLVMInitializeX86Disassembler(void);

static LLVMDisasmContextRef contexts[2]; /* [0] AT&T, [1] Intel; made on first use */

static LLVMDisasmContextRef context(int intel) {
    if (!contexts[intel]) {
        static int initialised;
        if (!initialised) {
            LLVMInitializeX86TargetInfo();
            LLVMInitializeX86TargetMC();
            LLVMInitializeX86Disassembler();
            initialised = 1;
        }
        contexts[intel] = LLVMCreateDisasm("x86_64-pc-linux", NULL, 0, NULL, NULL);
        if (contexts[intel] && intel) {
            LLVMSetDisasmOptions(contexts[intel], LLVMDisassembler_Option_AsmPrinterVariant);
        }
    }
    return contexts[intel];
}

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
        void *(*event_callback)(void *, const char *, void *), void *event_stream,
        int (*printf_callback)(void *, const char *, ...), void *printf_stream,
        const char *options, int newline) {
    LLVMDisasmContextRef ctx = context(options != NULL && strstr(options, "intel") != NULL);
    uintptr_t pc = start_va;
    if (event_callback) {
        event_callback(event_stream, "insns", (void *) start_va);
    }
    while (pc < end_va && pc - start_va < length) {
        char text[256];
        size_t offset = pc - start_va;
        size_t size = ctx ? LLVMDisasmInstruction(ctx, buffer + offset, length - offset, pc, text, sizeof text) : 0;
        if (event_callback) {
            event_callback(event_stream, "insn", (void *) pc);
        }
        if (size == 0) {
            /* not an instruction (data in the code blob, or no disassembler): one byte, shown as such */
            printf_callback(printf_stream, ".byte 0x%02x", buffer[offset]);
            size = 1;
        } else {
            const char *t = text;
            while (*t == ' ' || *t == '\t') {
                t++;
            }
            printf_callback(printf_stream, "%s", t);
        }
        pc += size;
        if (event_callback) {
            event_callback(event_stream, "/insn", (void *) pc);
        }
        if (newline) {
            printf_callback(printf_stream, "\n");
        }
    }
    if (event_callback) {
        event_callback(event_stream, "/insns", (void *) pc);
    }
    return (void *) pc;
}
