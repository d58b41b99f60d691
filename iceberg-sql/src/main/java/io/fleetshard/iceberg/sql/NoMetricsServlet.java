package io.fleetshard.iceberg.sql;

import com.codahale.metrics.MetricRegistry;
import java.util.Properties;
import org.apache.spark.SparkConf;
import org.apache.spark.metrics.sink.MetricsServlet;
import org.sparkproject.jetty.servlet.ServletContextHandler;

/**
 * Spark's default "servlet" metrics sink, without its servlet. A local session without UI never serves it, yet
 * SparkContext builds its Jetty handler at start, and that needs the servlet 5 API ({@code SingleThreadModel}), which
 * the servlet 6 API on this classpath (the S3 server of the tests needs it) no longer has. Configured as
 * {@code spark.metrics.conf.*.sink.servlet.class}.
 */
public final class NoMetricsServlet extends MetricsServlet {
    public NoMetricsServlet(Properties property, MetricRegistry registry) {
        super(property, registry);
    }

    @Override
    public ServletContextHandler[] getHandlers(SparkConf conf) {
        return new ServletContextHandler[0];
    }
}
