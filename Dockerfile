# The FleetShard image: one image for every component; the Helm chart (infra/helm/fleetshard) starts each as
#   fleetshard run <component> --config /etc/fleetshard/component.properties --platform /etc/fleetshard/platform.properties
# Build from the repository root:  docker build -t fleetshard/fleetshard:0.1.0 .
# The image holds launcher/target/dist (see launcher/README.md, "Distribution"): the launcher and its runtime jars,
# without the embedded database servers of `fleetshard dev`.

FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -q -Dmaven.test.skip=true -pl launcher -am package

FROM eclipse-temurin:17-jre
# the chart's pod security context runs as 10001:10001 with a read-only root file system and /tmp as an emptyDir
RUN groupadd --system --gid 10001 fleetshard \
 && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin fleetshard
COPY --from=build /src/launcher/target/dist /opt/fleetshard
ENV PATH=/opt/fleetshard/bin:$PATH
USER 10001:10001
WORKDIR /tmp
# router 8080, control API 8081, workers' /healthz /readyz /metrics 9090 (the chart's defaults)
EXPOSE 8080 8081 9090
ENTRYPOINT ["/opt/fleetshard/bin/fleetshard"]
CMD ["help"]
