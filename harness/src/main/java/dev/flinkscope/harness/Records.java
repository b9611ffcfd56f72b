package dev.flinkscope.harness;

/** The records of the lab jobs (Flink POJOs: public fields, public no-argument constructors). */
public final class Records {
  private Records() {}

  public static class Order {
    public String customer;
    public double amount;
    public long ts;
    public double score;
    public Order() {}
    public Order(String customer, double amount, long ts) { this.customer = customer; this.amount = amount; this.ts = ts; }
  }

  public static class OrderAcc {
    public long count;
    public double sum;
    public OrderAcc() {}
  }

  public static class OrderStats {
    public String customer;
    public long count;
    public double sum;
    public long windowEnd;
    public OrderStats() {}
  }

  public static class Click {
    public String user;
    public String page;
    public long ts;
    public Click() {}
    public Click(String user, String page, long ts) { this.user = user; this.page = page; this.ts = ts; }
  }

  public static class Profile {
    public String user;
    public String segment;
    public long version;
    public Profile() {}
    public Profile(String user, String segment, long version) { this.user = user; this.segment = segment; this.version = version; }
  }

  public static class Enriched {
    public String user;
    public String segment;
    public String page;
    public long clicks;
    public Enriched() {}
  }
}
