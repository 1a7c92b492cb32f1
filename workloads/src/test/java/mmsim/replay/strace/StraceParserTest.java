package mmsim.replay.strace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The parser on the line forms strace -f writes. */
class StraceParserTest {
    private static StraceParser parse(String... lines) {
        StraceParser p = new StraceParser("t", StraceParser.UNKNOWN_ROOT);
        for (int i = 0; i < lines.length; i++) {
            p.line(lines[i], i + 1);
        }
        p.finish();
        return p;
    }

    @Test
    void readsEachPrefixAndTimestampKind() {
        StraceParser p = parse(
                "100 getpid() = 100",
                "[pid   101] getpid() = 101",
                "100 16:11:58 getpid() = 100",
                "100 16:11:58.519141 getpid() = 100",
                "[pid 101] 1700000000.519141 getpid() = 101",
                "100 getpid()          = 100 <0.000012>");
        assertEquals(List.of(100, 101, 100, 100, 101, 100), p.events.stream().map(e -> e.pid).toList());
        assertEquals(-1, p.events.get(0).time);
        assertEquals((16 * 3600 + 11 * 60 + 58) * 1_000_000L, p.events.get(2).time);
        assertEquals((16 * 3600 + 11 * 60 + 58) * 1_000_000L + 519_141, p.events.get(3).time);
        assertEquals(1_700_000_000_519_141L, p.events.get(4).time);
        assertEquals(100, p.events.get(5).result);
        assertEquals(3, p.timedLines);
        assertEquals(2, p.preciseLines);
        assertTrue(p.problems.isEmpty(), p.problems.toString());
    }

    @Test
    void joinsUnfinishedAndResumedHalvesInterleavedAcrossPids() {
        StraceParser p = parse(
                "100 wait4(-1,  <unfinished ...>",
                "101 write(1, \"a, b)\\n\", 6 <unfinished ...>",
                "101 <... write resumed>) = 6",
                "100 <... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 101");
        assertEquals(2, p.events.size());
        Event wait = p.events.get(0);
        assertEquals("wait4", wait.name);
        assertEquals(101, wait.result);
        assertEquals(4, wait.endLine);
        assertEquals(4, wait.args.size());
        Event write = p.events.get(1);
        assertEquals(List.of("1", "\"a, b)\\n\"", "6"), write.args);
        assertTrue(write.complete);
    }

    @Test
    void readsSignalsExitsAndKills() {
        StraceParser p = parse(
                "100 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=101, si_status=0} ---",
                "101 +++ exited with 3 +++",
                "102 +++ killed by SIGKILL +++",
                "103 +++ killed by SIGSEGV (core dumped) +++");
        assertEquals(Event.Kind.SIGNAL, p.events.get(0).kind);
        assertEquals("SIGCHLD", p.events.get(0).name);
        assertEquals(3, p.events.get(1).status);
        assertEquals("SIGKILL", p.events.get(2).name);
        assertEquals(Event.Kind.KILLED, p.events.get(3).kind);
    }

    @Test
    void readsErrorsAndCallsWithoutResult() {
        StraceParser p = parse(
                "100 access(\"/etc/ld.so.preload\", R_OK) = -1 ENOENT (No such file or directory)",
                "100 exit_group(0) = ?",
                "100 brk(NULL) = 0x55c6ab860000");
        assertEquals("ENOENT", p.events.get(0).errno);
        assertFalse(p.events.get(0).succeeded());
        assertEquals(Event.NO_RESULT, p.events.get(1).result);
        assertEquals(0x55c6ab860000L, p.events.get(2).result);
        assertNull(p.events.get(2).errno);
    }

    @Test
    void splitsArgumentsOnlyAtTopLevelCommas() {
        StraceParser p = parse(
                "100 rt_sigaction(SIGINT, {sa_handler=0x1, sa_mask=~[RTMIN RT_1], sa_flags=SA_RESTORER}, NULL, 8) = 0",
                "100 execve(\"/bin/sh\", [\"sh\", \"-c\", \"x=1; (echo ), = ,)\"], 0x7ffc /* 39 vars, really */) = 0",
                "100 pipe2([3, 4], O_CLOEXEC) = 0");
        assertEquals(4, p.events.get(0).args.size());
        assertEquals("{sa_handler=0x1, sa_mask=~[RTMIN RT_1], sa_flags=SA_RESTORER}", p.events.get(0).arg(1));
        assertEquals(3, p.events.get(1).args.size());
        assertEquals("[3, 4]", p.events.get(2).arg(0));
    }

    @Test
    void takesUnprefixedStderrLinesAsTheFirstProcess() {
        StraceParser p = parse(
                "execve(\"/bin/sh\", [\"sh\"], 0x1 /* 1 var */) = 0",
                "clone(child_stack=NULL, flags=SIGCHLDstrace: Process 201 attached",
                ", child_tidptr=0x7f) = 201",
                "[pid   201] getpid() = 201",
                "[pid   200] wait4(-1,  <unfinished ...>",
                "[pid   201] +++ exited with 0 +++",
                "<... wait4 resumed>NULL, 0, NULL) = 201");
        assertEquals(200, p.rootPid());
        assertEquals(List.of(200, 200, 201, 200, 201), p.events.stream().map(e -> e.pid).toList());
        assertEquals(201, p.events.get(1).result);
        assertEquals(201, p.events.get(3).result);
        assertTrue(p.problems.isEmpty(), p.problems.toString());
    }

    @Test
    void reportsGarbledLinesAndCallsThatNeverResumedWithTheirLineNumbers() {
        StraceParser p = parse(
                "100 getpid() = 100",
                "100 this is not strace",
                "100 write(1, \"unterminated, 3) = 3",
                "100 read(0,  <unfinished ...>");
        assertEquals(3, p.problems.size(), p.problems.toString());
        assertTrue(p.problems.get(0).startsWith("t:2: cannot read this line"), p.problems.get(0));
        assertTrue(p.problems.get(1).startsWith("t:3: unbalanced"), p.problems.get(1));
        assertTrue(p.problems.get(2).startsWith("t:4: pid 100's read never resumed"), p.problems.get(2));
    }

    @Test
    void keepsUnknownSyscallsAsEvents() {
        StraceParser p = parse("100 frobnicate(1, 2) = 0", "100 syscall_0x1c2(0x1, 0x2) = -1 ENOSYS (Function not implemented)");
        assertEquals(List.of("frobnicate", "syscall_0x1c2"), p.events.stream().map(e -> e.name).toList());
    }
}
