package dev.flinkscope.harness;

import dev.flinkscope.harness.Records.Click;
import dev.flinkscope.harness.Records.Enriched;
import dev.flinkscope.harness.Records.Order;
import dev.flinkscope.harness.Records.OrderAcc;
import dev.flinkscope.harness.Records.OrderStats;
import dev.flinkscope.harness.Records.Profile;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * The flink-lab jobs, submitted to a running session cluster.
 *   orders:  orders-source → keyBy(customer) → order-score (keyed: a lookup per order, a running score in state)
 *            → keyBy(customer) → customer-window (5 s tumbling event-time aggregation) → orders-sink
 *   enrich:  clicks-source, profiles-source (slowly changing reference data, parallelism 1)
 *            → connect, keyBy(user) → enrich-join (keyed state: the profile and a click count) → enrich-sink
 * Every job: checkpoints every 10 s (heap state backend, file checkpoint storage), fixed-delay restarts (5 s) so it
 * recovers from a lost TaskManager, max parallelism 128. Faults come from the control channel (Control, FaultPoint).
 * Usage: LabJob --rest-port N --jar JAR --job orders|enrich --control FILE --load FILE --parallelism P --checkpoints DIR
 * Prints "JOB &lt;job id&gt;".
 */
public final class LabJob {
  private LabJob() {}

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) a.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
    for (String k : new String[] {"rest-port", "jar", "job", "control", "load", "parallelism", "checkpoints"}) {
      if (!a.containsKey(k)) throw new IllegalArgumentException("missing --" + k);
    }
    Configuration conf = new Configuration();
    conf.setString("restart-strategy.type", "fixed-delay");
    conf.setString("restart-strategy.fixed-delay.attempts", "1000000");
    conf.setString("restart-strategy.fixed-delay.delay", "5 s");
    conf.setString("state.backend.type", "hashmap");
    conf.setString("state.checkpoints.dir", "file://" + a.get("checkpoints"));
    conf.setString("execution.checkpointing.interval", "10 s");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createRemoteEnvironment("localhost", Integer.parseInt(a.get("rest-port")), conf, a.get("jar"));
    env.configure(conf);
    int p = Integer.parseInt(a.get("parallelism"));
    env.setParallelism(p);
    env.setMaxParallelism(RateSource.MAX_PARALLELISM);
    String job = a.get("job"), control = a.get("control"), load = a.get("load");
    switch (job) {
      case "orders": orders(env, control, load, p); break;
      case "enrich": enrich(env, control, load, p); break;
      default: throw new IllegalArgumentException("unknown job " + job + " (orders, enrich)");
    }
    System.out.println("JOB " + env.executeAsync(job).getJobID());
  }

  static void orders(StreamExecutionEnvironment env, String control, String load, int p) {
    env.addSource(new OrdersSource(control, load, p), "orders-source")
        .keyBy(new OrderKey())
        .process(new OrderScore(control)).name("order-score")
        .keyBy(new OrderKey())
        .window(TumblingEventTimeWindows.of(Duration.ofSeconds(5)))
        .aggregate(new OrderAgg(), new WindowOut()).name("customer-window")
        .addSink(new LabSink<>("orders", "orders-sink", control, 150)).name("orders-sink").disableChaining();
  }

  static void enrich(StreamExecutionEnvironment env, String control, String load, int p) {
    var clicks = env.addSource(new ClicksSource(control, load, p), "clicks-source");
    var profiles = env.addSource(new ProfilesSource(control, load, p), "profiles-source").setParallelism(1);
    clicks.keyBy(new ClickKey()).connect(profiles.keyBy(new ProfileKey()))
        .process(new EnrichJoin(control)).name("enrich-join")
        .addSink(new LabSink<>("enrich", "enrich-sink", control, 150)).name("enrich-sink").disableChaining();
  }

  // ---- sources

  static final class OrdersSource extends RateSource<Order> {
    OrdersSource(String control, String load, int keyedP) { super("orders", "orders-source", control, load, "c-", 5000, keyedP, true); }
    @Override protected Order make(String key, long now, Random rng) { return new Order(key, Math.round(rng.nextDouble() * 20000) / 100.0, now); }
  }

  static final class ClicksSource extends RateSource<Click> {
    private static final String[] PAGES = {"home", "search", "item", "cart", "checkout", "help"};
    ClicksSource(String control, String load, int keyedP) { super("enrich", "clicks-source", control, load, "u-", 20000, keyedP, true); }
    @Override protected Click make(String key, long now, Random rng) { return new Click(key, PAGES[rng.nextInt(PAGES.length)], now); }
  }

  static final class ProfilesSource extends RateSource<Profile> {
    private static final String[] SEGMENTS = {"new", "regular", "loyal", "vip"};
    ProfilesSource(String control, String load, int keyedP) { super("enrich", "profiles-source", control, load, "u-", 20000, keyedP, false); }
    @Override protected Profile make(String key, long now, Random rng) { return new Profile(key, SEGMENTS[rng.nextInt(SEGMENTS.length)], now); }
  }

  static final class OrderKey implements KeySelector<Order, String> {
    @Override public String getKey(Order o) { return o.customer; }
  }
  static final class ClickKey implements KeySelector<Click, String> {
    @Override public String getKey(Click c) { return c.user; }
  }
  static final class ProfileKey implements KeySelector<Profile, String> {
    @Override public String getKey(Profile pr) { return pr.user; }
  }

  // ---- keyed operators

  /** A risk score per order: a lookup (blocking, ~0.8 ms), an exponentially weighted mean amount per customer. */
  static final class OrderScore extends KeyedProcessFunction<String, Order, Order> {
    private final FaultPoint fp;
    private transient ValueState<Double> mean;
    private transient ListState<byte[]> ballast;

    OrderScore(String control) { fp = new FaultPoint("orders", "order-score", control, 800); }

    @Override
    public void open(OpenContext ctx) {
      fp.open(getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
      mean = getRuntimeContext().getState(new ValueStateDescriptor<>("mean", Types.DOUBLE));
      ballast = getRuntimeContext().getListState(new ListStateDescriptor<>("ballast", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    }

    @Override
    public void processElement(Order o, Context ctx, Collector<Order> out) throws Exception {
      fp.perRecord();
      int grow = fp.growBytes();
      if (grow > 0) {
        ballast.add(new byte[grow]);
        ctx.timerService().registerProcessingTimeTimer(FaultPoint.nextCheck(ctx.timerService().currentProcessingTime()));
      }
      Double m = mean.value();
      double next = m == null ? o.amount : 0.9 * m + 0.1 * o.amount;
      mean.update(next);
      o.score = o.amount / Math.max(1.0, next);
      out.collect(o);
    }

    @Override
    public void onTimer(long ts, OnTimerContext ctx, Collector<Order> out) throws Exception {
      if (fp.growing()) ctx.timerService().registerProcessingTimeTimer(FaultPoint.nextCheck(ts));
      else ballast.clear();
    }
  }

  static final class OrderAgg implements AggregateFunction<Order, OrderAcc, OrderAcc> {
    @Override public OrderAcc createAccumulator() { return new OrderAcc(); }
    @Override public OrderAcc add(Order o, OrderAcc acc) { acc.count++; acc.sum += o.amount; return acc; }
    @Override public OrderAcc getResult(OrderAcc acc) { return acc; }
    @Override public OrderAcc merge(OrderAcc x, OrderAcc y) { x.count += y.count; x.sum += y.sum; return x; }
  }

  static final class WindowOut extends ProcessWindowFunction<OrderAcc, OrderStats, String, TimeWindow> {
    @Override
    public void process(String customer, Context ctx, Iterable<OrderAcc> in, Collector<OrderStats> out) {
      for (OrderAcc acc : in) {
        OrderStats s = new OrderStats();
        s.customer = customer;
        s.count = acc.count;
        s.sum = acc.sum;
        s.windowEnd = ctx.window().getEnd();
        out.collect(s);
      }
    }
  }

  /** Enriches clicks with the user's latest profile (keyed state); a lookup per click (blocking, ~0.6 ms). */
  static final class EnrichJoin extends KeyedCoProcessFunction<String, Click, Profile, Enriched> {
    private final FaultPoint fp;
    private transient ValueState<Profile> profile;
    private transient ValueState<Long> clicks;
    private transient ListState<byte[]> ballast;

    EnrichJoin(String control) { fp = new FaultPoint("enrich", "enrich-join", control, 600); }

    @Override
    public void open(OpenContext ctx) {
      fp.open(getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
      profile = getRuntimeContext().getState(new ValueStateDescriptor<>("profile", Profile.class));
      clicks = getRuntimeContext().getState(new ValueStateDescriptor<>("clicks", Types.LONG));
      ballast = getRuntimeContext().getListState(new ListStateDescriptor<>("ballast", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
    }

    @Override
    public void processElement1(Click c, Context ctx, Collector<Enriched> out) throws Exception {
      fp.perRecord();
      int grow = fp.growBytes();
      if (grow > 0) {
        ballast.add(new byte[grow]);
        ctx.timerService().registerProcessingTimeTimer(FaultPoint.nextCheck(ctx.timerService().currentProcessingTime()));
      }
      Long n = clicks.value();
      clicks.update(n == null ? 1 : n + 1);
      Profile p = profile.value();
      Enriched e = new Enriched();
      e.user = c.user;
      e.page = c.page;
      e.segment = p == null ? "unknown" : p.segment;
      e.clicks = n == null ? 1 : n + 1;
      out.collect(e);
    }

    @Override
    public void processElement2(Profile p, Context ctx, Collector<Enriched> out) throws Exception {
      profile.update(p);
    }

    @Override
    public void onTimer(long ts, OnTimerContext ctx, Collector<Enriched> out) throws Exception {
      if (fp.growing()) ctx.timerService().registerProcessingTimeTimer(FaultPoint.nextCheck(ts));
      else ballast.clear();
    }
  }

  /** A sink whose write costs `baseMicros` (blocking); slow-sink / hot-udf faults apply per record. */
  static final class LabSink<T> extends RichSinkFunction<T> {
    private final FaultPoint fp;

    LabSink(String job, String name, String control, double baseMicros) { fp = new FaultPoint(job, name, control, baseMicros); }

    @Override
    public void open(OpenContext ctx) { fp.open(getRuntimeContext().getTaskInfo().getIndexOfThisSubtask()); }

    @Override
    public void invoke(T value, Context ctx) { fp.perRecord(); }
  }
}
