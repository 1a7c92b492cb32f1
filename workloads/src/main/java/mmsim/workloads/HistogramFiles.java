package mmsim.workloads;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/** Writes a histogram as an HdrHistogram log (readable by HistogramLogReader and the HdrHistogram plotters). */
final class HistogramFiles {
    private HistogramFiles() {
    }

    static void write(Path file, Histogram histogram) throws IOException {
        try (PrintStream out = new PrintStream(Files.newOutputStream(file), false, "UTF-8")) {
            HistogramLogWriter writer = new HistogramLogWriter(out);
            writer.outputLogFormatVersion();
            writer.outputStartTime(System.currentTimeMillis());
            writer.outputLegend();
            writer.outputIntervalHistogram(histogram);
        }
    }
}
