package io.fleetshard.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import io.javalin.Javalin;
import org.eclipse.jetty.util.Jetty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;

/** Javalin 7, S3Proxy and DynamoDB Local serve side by side in one JVM on one Jetty version. */
class JettyCoexistenceIT {

    @Test
    void javalinS3AndDynamoDbServeFromOneJvm(@TempDir Path dir) throws Exception {
        Javalin app = Javalin.create(config -> {
            config.jetty.host = "127.0.0.1";
            config.routes.get("/ping", ctx -> ctx.result("pong"));
        }).start(0);
        try (S3Server s3 = S3Server.start(dir);
             S3Client s3Client = s3.newClient();
             DynamoDbLocal dynamo = DynamoDbLocal.start();
             DynamoDbClient dynamoClient = dynamo.newClient()) {
            HttpResponse<String> ping = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/ping")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(ping.body()).isEqualTo("pong");
            assertThat(s3Client.listBuckets().buckets()).isEmpty();
            assertThat(dynamoClient.listTables().tableNames()).isEmpty();
            assertThat(Jetty.VERSION).startsWith("12.1.");
        } finally {
            app.stop();
        }
    }
}
