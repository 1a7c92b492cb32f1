package mmsim.replay.strace;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import mmsim.config.ConfigException;

/**
 * Finds and reads the file or files of one trace: {@code strace -f -o FILE} output, or with {@code -ff} one
 * {@code FILE.<pid>} per process, of which the user names any one (the others are the files beside it with the
 * same prefix and a numeric suffix). Events of {@code -ff} files are ordered by their timestamps, which must
 * then have microseconds ({@code -tt} or {@code -ttt}); one file's are ordered by its lines.
 */
final class TraceFiles {
    private static final Pattern PER_PID = Pattern.compile("^(.*)\\.(\\d+)$");

    /** The events of every task in trace order, the first process's pid, and the lines that were skipped. */
    record Trace(List<Event> events, int rootPid, List<String> problems, int files, int lines) {
    }

    private TraceFiles() {
    }

    static Trace read(Path path) {
        TreeMap<Integer, Path> perPid = siblings(path);
        if (perPid.size() <= 1) {
            StraceParser p = parse(path, perPid.size() == 1 ? perPid.firstKey() : StraceParser.UNKNOWN_ROOT);
            int root = p.rootPid() != StraceParser.UNKNOWN_ROOT ? p.rootPid()
                    : p.events.isEmpty() ? StraceParser.UNKNOWN_ROOT : p.events.get(0).pid;
            if (root == StraceParser.UNKNOWN_ROOT) {
                root = 1;
                for (Event e : p.events) {
                    e.pid = e.pid == StraceParser.UNKNOWN_ROOT ? root : e.pid;
                }
            }
            return new Trace(p.events, root, p.problems, 1, p.linesRead);
        }
        List<Event> all = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int lines = 0;
        int fileIndex = 0;
        List<long[]> keys = new ArrayList<>();
        for (var entry : perPid.entrySet()) {
            StraceParser p = parse(entry.getValue(), entry.getKey());
            if (p.preciseLines < p.timedLines || p.timedLines < p.events.size()) {
                throw new ConfigException("replay.file=" + path + ": a -ff trace of " + perPid.size() + " files is ordered only by "
                        + "its timestamps, and " + entry.getValue().getFileName() + " lacks microsecond ones: record it with "
                        + "strace -ff -tt (or -ttt)");
            }
            for (Event e : p.events) {
                all.add(e);
                keys.add(new long[] {e.time, fileIndex, e.line});
            }
            problems.addAll(p.problems);
            lines += p.linesRead;
            fileIndex++;
        }
        List<Integer> byTime = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            byTime.add(i);
        }
        byTime.sort(Comparator.<Integer>comparingLong(i -> keys.get(i)[0]).thenComparingLong(i -> keys.get(i)[1])
                .thenComparingLong(i -> keys.get(i)[2]));
        List<Event> ordered = new ArrayList<>();
        for (int rank = 0; rank < byTime.size(); rank++) {
            Event e = all.get(byTime.get(rank));
            e.order = rank;
            e.endOrder = rank;
            ordered.add(e);
        }
        return new Trace(ordered, ordered.isEmpty() ? perPid.firstKey() : ordered.get(0).pid, problems, perPid.size(), lines);
    }

    /** The -ff files of the trace {@code path} belongs to, by pid; empty or one when it is a single file. */
    private static TreeMap<Integer, Path> siblings(Path path) {
        TreeMap<Integer, Path> found = new TreeMap<>();
        Matcher m = PER_PID.matcher(path.getFileName().toString());
        if (!m.matches()) {
            return found;
        }
        String prefix = m.group(1) + ".";
        Path dir = path.toAbsolutePath().getParent();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, glob(prefix) + "*")) {
            for (Path f : files) {
                Matcher s = PER_PID.matcher(f.getFileName().toString());
                if (s.matches() && s.group(1).equals(m.group(1)) && Files.isRegularFile(f) && s.group(2).length() < 10) {
                    found.put(Integer.parseInt(s.group(2)), f);
                }
            }
        } catch (IOException e) {
            throw new ConfigException("replay.file=" + path + ": cannot list the -ff files beside it (" + e.getMessage() + ")");
        }
        return found;
    }

    private static String glob(String literal) {
        return literal.replaceAll("([\\\\*?\\[\\]{}])", "\\\\$1");
    }

    private static StraceParser parse(Path file, int filePid) {
        StraceParser p = new StraceParser(file.getFileName().toString(), filePid);
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                p.line(line, ++number);
            }
        } catch (IOException e) {
            throw new ConfigException("replay.file=" + file + ": cannot read it (" + e.getMessage() + ")");
        }
        p.finish();
        return p;
    }
}
