package io.fleetshard.controlapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The probe catch-up sends before a cutover holds writes (ADR 0033), against a fake pipeline on a fake clock. */
class PipelineProbeTest {
    private static final long MS = 1_000_000;

    /**
     * The source, capture, its shard log and the delta sync as the probe sees them: capture publishes a committed
     * probe once {@code captureBacklogMs} of older changes are read, the delta sync applies what is in the log after
     * {@code applyMs}.
     */
    private static final class FakePipeline implements PipelineProbe.Pipeline {
        long nowNanos;
        long captureBacklogMs;
        long applyMs;
        long nextOffset = 100;
        final List<long[]> probes = new ArrayList<>(); // seq, sent at, offset

        @Override
        public long send() {
            long seq = probes.size() + 1;
            probes.add(new long[] {seq, nowNanos, -1});
            return seq;
        }

        @Override
        public long offsetOf(long seq) {
            long[] pr = probes.get((int) seq - 1);
            if (pr[2] < 0 && nowNanos - pr[1] >= captureBacklogMs * MS) {
                pr[2] = nextOffset++;
                pr[1] = nowNanos; // from here on: when it entered the log
            }
            return pr[2];
        }

        @Override
        public long applied() {
            long applied = 99;
            for (long[] pr : probes) {
                if (pr[2] >= 0 && nowNanos - pr[1] >= applyMs * MS) {
                    applied = Math.max(applied, pr[2]);
                }
            }
            return applied;
        }
    }

    /** Calls {@link PipelineProbe#check} every {@code pollMs} until it says current; every status seen. */
    private static List<PipelineProbe.Status> pollUntilCurrent(PipelineProbe probe, FakePipeline pipeline, long pollMs,
            long maxMs) throws Exception {
        List<PipelineProbe.Status> seen = new ArrayList<>();
        long until = pipeline.nowNanos + maxMs * MS;
        while (pipeline.nowNanos < until) {
            PipelineProbe.Status s = probe.check();
            seen.add(s);
            if (s.current()) {
                return seen;
            }
            pipeline.nowNanos += pollMs * MS;
        }
        return seen;
    }

    /** A pipeline whose capture publishes a marker {@code backlogMs} after its commit, applied {@code applyMs} later. */
    private static FakePipeline pipeline(long backlogMs, long applyMs) {
        FakePipeline pipeline = new FakePipeline();
        pipeline.captureBacklogMs = backlogMs;
        pipeline.applyMs = applyMs;
        return pipeline;
    }

    @Test
    void aCurrentPipelineLetsTheCutoverGoAfterOneProbe() throws Exception {
        FakePipeline pipeline = pipeline(60, 40);
        PipelineProbe probe = new PipelineProbe(pipeline, 500, 10_000, () -> pipeline.nowNanos);

        List<PipelineProbe.Status> seen = pollUntilCurrent(probe, pipeline, 20, 5_000);

        PipelineProbe.Status last = seen.get(seen.size() - 1);
        assertThat(last.current()).isTrue();
        assertThat(last.sent()).isEqualTo(1);
        assertThat(last.lastTripMs()).isBetween(100L, 140L);
        assertThat(last.where()).isEqualTo("probe 1 reached the target in " + last.lastTripMs() + " ms");
        assertThat(seen.get(0).where()).isEqualTo("probe 1 sent on the source");
    }

    @Test
    void aCaptureBacklogKeepsTheJobInCatchUpAndShowsTheProbesAgeUntilAProbeIsOnTime() throws Exception {
        // what the eighth session's bench met: the source's capture still reading 200,000 cleanup deletes, so a
        // marker committed now is published 14 s later; the shard log's lag shows nothing of it
        FakePipeline pipeline = pipeline(14_000, 40);
        PipelineProbe probe = new PipelineProbe(pipeline, 500, 30_000, () -> pipeline.nowNanos);

        List<PipelineProbe.Status> seen = new ArrayList<>();
        for (int i = 0; i < 50; i++) { // one second of polls: the probe is stuck in capture
            seen.add(probe.check());
            pipeline.nowNanos += 20 * MS;
        }
        assertThat(seen).noneMatch(PipelineProbe.Status::current);
        PipelineProbe.Status waiting = seen.get(seen.size() - 1);
        assertThat(waiting.sent()).isEqualTo(1);
        assertThat(waiting.waitingMs()).isEqualTo(980);
        assertThat(waiting.where()).isEqualTo("probe 1 not yet in the source's shard log (capture is behind the"
                + " source)");

        pipeline.captureBacklogMs = 50; // the backlog drains: probe 1 arrives late, probe 2 on time
        List<PipelineProbe.Status> rest = pollUntilCurrent(probe, pipeline, 20, 20_000);

        assertThat(rest).anySatisfy(s -> assertThat(s.where()).startsWith("probe 1 reached the target in ")
                .endsWith(" ms, over the 500 ms bound: probing again"));
        PipelineProbe.Status last = rest.get(rest.size() - 1);
        assertThat(last.current()).isTrue();
        assertThat(last.seq()).isEqualTo(2);
        assertThat(last.sent()).isEqualTo(2);
        assertThat(last.lastTripMs()).isLessThanOrEqualTo(500);
    }

    @Test
    void aProbeStuckInTheDeltaSyncSaysWhereItIs() throws Exception {
        FakePipeline pipeline = pipeline(0, 60_000);
        PipelineProbe probe = new PipelineProbe(pipeline, 500, 30_000, () -> pipeline.nowNanos);

        probe.check();
        pipeline.nowNanos += 300 * MS;
        PipelineProbe.Status s = probe.check();

        assertThat(s.current()).isFalse();
        assertThat(s.waitingMs()).isEqualTo(300);
        assertThat(s.where()).isEqualTo("probe 1 at shard-log offset 100, the delta sync applied through 99");
    }

    @Test
    void aSlowPipelineWithoutBacklogIsAcceptedOnceProbingHasTakenTheCutoverTimeout() throws Exception {
        // every trip takes 700 ms against a 500 ms bound: without a way out the job would never cut over
        FakePipeline pipeline = pipeline(400, 300);
        PipelineProbe probe = new PipelineProbe(pipeline, 500, 10_000, () -> pipeline.nowNanos);

        List<PipelineProbe.Status> seen = pollUntilCurrent(probe, pipeline, 20, 60_000);

        PipelineProbe.Status last = seen.get(seen.size() - 1);
        assertThat(last.current()).isTrue();
        assertThat(last.lastTripMs()).isGreaterThan(500);
        assertThat(last.where()).endsWith("(over the 500 ms bound but steady, the one before took " + last.lastTripMs()
                + " ms; accepted after 10000 ms of probing)");
        // probes sent within the first 10 s are all late and repeated; the first one sent after them is accepted
        long firstSentAfterGiveUp = (long) Math.ceil(10_000 / 720.0) + 1;
        assertThat(last.sent()).isEqualTo((int) firstSentAfterGiveUp);
        assertThat(seen).filteredOn(PipelineProbe.Status::current).hasSize(1);
    }

    @Test
    void aBacklogStillDrainingAfterTheTimeoutIsNotAcceptedUntilTheTripsStopShrinking() throws Exception {
        // OnlineReshardIT once saw a 13.5 s probe and then a 3.6 s one, which the timeout rule let through: a fence
        // sent then would still have waited behind the rest of the backlog
        FakePipeline pipeline = pipeline(13_400, 100);
        PipelineProbe probe = new PipelineProbe(pipeline, 500, 10_000, () -> pipeline.nowNanos);
        List<PipelineProbe.Status> seen = pollUntilCurrent(probe, pipeline, 20, 13_600);
        assertThat(seen).noneMatch(PipelineProbe.Status::current);
        assertThat(seen.get(seen.size() - 1).lastTripMs()).isBetween(13_500L, 13_540L);

        pipeline.captureBacklogMs = 3_500; // draining: the next trip is shorter, but far from steady
        List<PipelineProbe.Status> next = pollUntilCurrent(probe, pipeline, 20, 3_700);
        assertThat(next).noneMatch(PipelineProbe.Status::current);
        assertThat(next).anySatisfy(s -> assertThat(s.where()).matches("probe 2 reached the target in 36[0-9]{2} ms,"
                + " over the 500 ms bound and 135[0-9]{2} ms before it \\(a backlog still draining\\): probing again"));

        pipeline.captureBacklogMs = 650; // drained, on a slow machine: 750 ms trips from now on
        List<PipelineProbe.Status> rest = pollUntilCurrent(probe, pipeline, 20, 5_000);
        PipelineProbe.Status last = rest.get(rest.size() - 1);
        assertThat(last.current()).isTrue();
        assertThat(last.seq()).isEqualTo(4); // probe 3 (750 ms after 3.6 s) still shrank; probe 4 is steady
        assertThat(last.where()).contains("but steady");
    }

    @Test
    void aBoundMustBePositive() {
        assertThatThrownBy(() -> new PipelineProbe(new FakePipeline(), 0, 10_000, System::nanoTime))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("boundMs must be positive and giveUpAfterMs not negative, got 0 and 10000");
    }
}
