package mmsim.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table with a two-line header (what, then how: kind, statistic, unit), columns right-aligned. */
final class Table {
    private final List<String[]> header = new ArrayList<>();
    private final List<List<String>> rows = new ArrayList<>();

    /** Adds a column titled {@code what} over {@code how}. */
    Table column(String what, String how) {
        header.add(new String[] {what, how});
        return this;
    }

    Table row(List<String> cells) {
        if (cells.size() != header.size()) {
            throw new IllegalArgumentException(cells.size() + " cells for " + header.size() + " columns");
        }
        rows.add(cells);
        return this;
    }

    void print(PrintStream out) {
        int[] width = new int[header.size()];
        for (int c = 0; c < width.length; c++) {
            width[c] = Math.max(header.get(c)[0].length(), header.get(c)[1].length());
            for (List<String> r : rows) {
                width[c] = Math.max(width[c], r.get(c).length());
            }
        }
        int lines = header.stream().allMatch(h -> h[1].isEmpty()) ? 1 : 2;
        for (int line = 0; line < lines; line++) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < width.length; c++) {
                cell(sb, header.get(c)[line], width[c], c == 0);
            }
            out.println(sb.toString().stripTrailing());
        }
        for (List<String> r : rows) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < width.length; c++) {
                cell(sb, r.get(c), width[c], c == 0);
            }
            out.println(sb.toString().stripTrailing());
        }
    }

    private static void cell(StringBuilder sb, String text, int width, boolean first) {
        if (first) {
            sb.append(text).append(" ".repeat(width - text.length()));
        } else {
            sb.append("  ").append(" ".repeat(width - text.length())).append(text);
        }
    }
}
