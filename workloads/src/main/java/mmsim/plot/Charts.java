package mmsim.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.font.FontRenderContext;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.knowm.xchart.ChartEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

import mmsim.plot.Figures.Figure;
import mmsim.plot.Figures.Kind;
import mmsim.plot.Figures.Series;

/**
 * Draws {@link Figure}s as PNG files with XChart, headless ({@code java.awt.headless=true} is set before the first
 * chart, unless the JVM was started with it). Percentile curves have an x axis in "nines" (0, 90, 99, 99.9,
 * 99.99 %); an x axis of CPU counts or sizes that spans eightfold or more is base-2 logarithmic; a y axis whose values
 * span more than a hundredfold is logarithmic, any other starts at zero. The legend sits below the plot. Thread-safe:
 * no state.
 */
public final class Charts {
    /** A figure's size in pixels. */
    static final int WIDTH = 960;
    static final int HEIGHT = 600;

    private Charts() {
    }

    /** Writes {@code figure} as {@code dir/<figure file>}; returns the file. */
    public static Path write(Figure figure, Path dir) throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        Files.createDirectories(dir);
        Chart<?, ?> chart = figure.kind() == Kind.BAR ? bars(figure) : lines(figure);
        Path file = dir.resolve(figure.file());
        try (OutputStream out = Files.newOutputStream(file)) {
            ChartEncoder.saveChart(chart, out, "png");
        }
        return file;
    }

    private static final Marker[] MARKERS = {SeriesMarkers.CIRCLE, SeriesMarkers.DIAMOND, SeriesMarkers.SQUARE,
            SeriesMarkers.TRIANGLE_UP, SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.CROSS, SeriesMarkers.PLUS, SeriesMarkers.OVAL,
            SeriesMarkers.RECTANGLE, SeriesMarkers.TRAPEZOID};
    private static final BasicStroke[] LINES = {SeriesLines.SOLID, SeriesLines.DASH_DASH, SeriesLines.DOT_DOT, SeriesLines.DASH_DOT};

    private static XYChart lines(Figure f) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(f.title()).xAxisTitle(f.xTitle()).yAxisTitle(f.yTitle()).build();
        style(chart.getStyler(), f.title());
        chart.getStyler().setErrorBarsColorSeriesColor(true);
        boolean percentile = f.kind() == Kind.PERCENTILE;
        boolean log2 = f.log2X();
        double minX = Double.MAX_VALUE;
        double maxX = -Double.MAX_VALUE;
        int index = 0;
        for (Series s : f.series()) {
            double[] x = log2 ? Arrays.stream(s.x()).map(v -> Math.log(v) / Math.log(2)).toArray() : s.x();
            XYSeries xy = s.error() == null ? chart.addSeries(s.name(), x, s.y()) : chart.addSeries(s.name(), x, s.y(), s.error());
            xy.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            // strategies often coincide (five flat lines at one value): each series its own marker shape and, after
            // the first few, its own dash pattern, so that a line drawn over another still shows what it covers
            xy.setMarker(percentile ? SeriesMarkers.NONE : MARKERS[index % MARKERS.length]);
            xy.setLineStyle(LINES[(index / 3) % LINES.length]);
            xy.setLineWidth(percentile ? 2.2f : 1.8f);
            index++;
            minX = Math.min(minX, Arrays.stream(x).min().orElse(0));
            maxX = Math.max(maxX, Arrays.stream(x).max().orElse(0));
        }
        if (percentile) {
            chart.getStyler().setXAxisMin(0.0);
            // the last point is the maximum, drawn just past the highest percentile: no axis decade for it alone
            chart.getStyler().setXAxisMax(Math.max(1, Math.ceil(maxX - 0.05)));
            chart.setCustomXAxisTickLabelsFormatter(Charts::nines);
        } else if (log2) {
            chart.getStyler().setXAxisMin(Math.floor(minX));
            chart.getStyler().setXAxisMax(Math.ceil(maxX));
            chart.setCustomXAxisTickLabelsFormatter(Charts::powerOfTwo);
        } else if (allWhole(f.series())) {
            chart.getStyler().setXAxisDecimalPattern("#,##0");
        }
        if (!logarithmicIfWide(chart.getStyler(), f.series())) {
            // from zero, to a round value above the highest point: XChart's own range ends at the data and labels
            // little more than its ends
            double top = f.series().stream().flatMapToDouble(s -> s.error() == null ? Arrays.stream(s.y())
                    : java.util.stream.IntStream.range(0, s.y().length).mapToDouble(i -> s.y()[i] + s.error()[i])).max().orElse(0);
            chart.getStyler().setYAxisMin(0.0);
            chart.getStyler().setYAxisMax(niceCeiling(top * 1.1));
        }
        return chart;
    }

    private static CategoryChart bars(Figure f) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(f.title()).xAxisTitle(f.xTitle()).yAxisTitle(f.yTitle())
                .build();
        style(chart.getStyler(), f.title());
        chart.getStyler().setAvailableSpaceFill(0.6);
        chart.getStyler().setLegendVisible(f.series().size() > 1);
        if (f.categories().size() > 6 || f.categories().stream().mapToInt(String::length).max().orElse(0) > 12) {
            chart.getStyler().setXAxisLabelRotation(30);
        }
        double max = 0;
        for (Series s : f.series()) {
            chart.addSeries(s.name(), f.categories(), Arrays.stream(s.y()).boxed().toList());
            max = Math.max(max, Arrays.stream(s.y()).max().orElse(0));
        }
        // XChart's own range for bars ends at the tallest bar and then labels little more than its ends
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(niceCeiling(max * 1.1));
        return chart;
    }

    /** The title's font: bold 14 pt, smaller (down to 9 pt) when the title would not fit the chart's width. */
    static Font titleFont(String title) {
        FontRenderContext frc = new FontRenderContext(null, true, true);
        int size = 14;
        Font font = new Font(Font.SANS_SERIF, Font.BOLD, size);
        while (size > 9 && font.getStringBounds(title, frc).getWidth() > WIDTH - 40) {
            font = new Font(Font.SANS_SERIF, Font.BOLD, --size);
        }
        return font;
    }

    private static void style(AxesChartStyler s, String title) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(true);
        s.setPlotGridLinesColor(new Color(225, 225, 225));
        s.setChartTitleFont(titleFont(title));
        s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setLegendBorderColor(new Color(200, 200, 200));
        s.setChartTitleBoxVisible(false);
        s.setMarkerSize(7);
        s.setYAxisDecimalPattern("#,##0.###");
        s.setAntiAlias(true);
        s.setTextAntiAlias(true);
        s.setChartPadding(12);
        // below the plot, in a row: a legend inside the plot hides the points that end up in its corner
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendLayout(Styler.LegendLayout.Horizontal);
    }

    /** A y axis whose positive values span more than a hundredfold is drawn logarithmic; says whether it is. */
    private static boolean logarithmicIfWide(AxesChartStyler s, List<Series> series) {
        double min = Double.MAX_VALUE;
        double max = 0;
        for (Series line : series) {
            for (double y : line.y()) {
                if (y <= 0) {
                    return false;
                }
                min = Math.min(min, y);
                max = Math.max(max, y);
            }
        }
        if (max > 0 && max / min > 100) {
            s.setYAxisLogarithmic(true);
            return true;
        }
        return false;
    }

    /** The smallest round value (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) at or above {@code v}; 1 for nothing. */
    static double niceCeiling(double v) {
        if (!(v > 0)) {
            return 1;
        }
        double decade = Math.pow(10, Math.floor(Math.log10(v)));
        for (double step : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) {
            if (step * decade >= v - 1e-12) {
                return step * decade;
            }
        }
        return 10 * decade;
    }

    private static boolean allWhole(List<Series> series) {
        return series.stream().allMatch(s -> Arrays.stream(s.x()).allMatch(x -> x == Math.rint(x)));
    }

    /** An x tick of a base-2 logarithmic axis: 2^x at whole x (1, 2, 4, ...; 0.5, 0.25 below 1). */
    static String powerOfTwo(double x) {
        long n = Math.round(x);
        if (Math.abs(x - n) > 1e-6) {
            return "";
        }
        double v = Math.pow(2, n);
        return v >= 1 ? String.format(Locale.ROOT, "%,d", (long) v) : String.format(Locale.ROOT, "%s", v);
    }

    /** An x tick of a percentile curve: whole "nines" only (0 → 0%, 1 → 90%, 2 → 99%, 3 → 99.9%, ...). */
    static String nines(double x) {
        long n = Math.round(x);
        if (Math.abs(x - n) > 1e-6 || n < 0) {
            return "";
        }
        if (n == 0) {
            return "0%";
        }
        String p = String.format(Locale.ROOT, "%." + Math.max(0, n - 2) + "f", 100 * (1 - Math.pow(10, -n)));
        return p + "%";
    }
}
