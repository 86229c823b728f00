import { describe, expect, it } from "vitest";
import {
  classpathProblems,
  kafkaClusterId,
  kafkaJavaArgs,
  kafkaPom,
  kafkaServerProperties,
  kafkaVersion,
  log4jProperties,
} from "./kafka.js";

const properties = (text: string) =>
  Object.fromEntries(
    text
      .split("\n")
      .filter((line) => line && !line.startsWith("#"))
      .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );

describe("kafkaServerProperties", () => {
  const config = properties(
    kafkaServerProperties({ port: 19092, controllerPort: 19093, logDirs: "/d/kafka/data" }),
  );

  it("runs one KRaft node, broker and controller, listening on 127.0.0.1 only", () => {
    expect(config).toMatchObject({
      "process.roles": "broker,controller",
      "node.id": "1",
      "controller.quorum.voters": "1@127.0.0.1:19093",
      listeners: "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093",
      "advertised.listeners": "PLAINTEXT://127.0.0.1:19092",
      "controller.listener.names": "CONTROLLER",
      "log.dirs": "/d/kafka/data",
    });
  });

  it("gives every internal topic one replica, so a single node can serve groups, idempotence and transactions", () => {
    for (const key of [
      "offsets.topic.replication.factor",
      "transaction.state.log.replication.factor",
      "transaction.state.log.min.isr",
      "share.coordinator.state.topic.replication.factor",
      "default.replication.factor",
      "min.insync.replicas",
    ])
      expect(config[key], key).toBe("1");
  });

  it("never creates a topic because a client named it", () => {
    expect(config["auto.create.topics.enable"]).toBe("false");
  });

  it("sizes the log cleaner's buffer for a small heap", () => {
    expect(Number(config["log.cleaner.dedupe.buffer.size"])).toBeLessThanOrEqual(32 * 1024 * 1024);
  });
});

describe("kafkaPom", () => {
  const pom = kafkaPom();

  it("depends on the broker at the pinned version, with an SLF4J 2 binding for log4j2", () => {
    expect(pom).toContain(
      `<groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${kafkaVersion}</version>`,
    );
    expect(pom).toContain("<artifactId>slf4j-api</artifactId><version>2.");
    expect(pom).toContain("<artifactId>log4j-slf4j2-impl</artifactId>");
  });

  it("pins the dependency plugin and is a pom-only project", () => {
    expect(pom).toContain("<artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version>");
    expect(pom).toContain("<packaging>pom</packaging>");
  });
});

describe("classpathProblems", () => {
  const good = [`kafka_2.13-${kafkaVersion}.jar`, "slf4j-api-2.0.17.jar", "log4j-slf4j2-impl-2.25.5.jar"];

  it("accepts the broker's jar with one SLF4J 2 API and its binding", () => {
    expect(classpathProblems(good)).toEqual([]);
  });

  it("refuses two slf4j-api versions, a missing binding or a missing broker", () => {
    expect(classpathProblems([...good, "slf4j-api-1.7.36.jar"])).toEqual([
      "expected slf4j-api-2.0.17.jar alone, found slf4j-api-2.0.17.jar, slf4j-api-1.7.36.jar",
    ]);
    expect(classpathProblems(good.slice(0, 2))).toEqual(["no SLF4J binding (log4j-slf4j2-impl)"]);
    expect(classpathProblems(good.slice(1))).toEqual([`kafka_2.13-${kafkaVersion}.jar is missing`]);
  });
});

describe("kafkaClusterId", () => {
  it("is 16 random bytes in URL-safe base64, as StorageTool random-uuid prints", () => {
    const id = kafkaClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(id, "base64url")).toHaveLength(16);
  });

  it("never starts with a dash, which the storage tool would read as an option", () => {
    const draws = [Buffer.alloc(16, 0xfb), Buffer.alloc(16, 1)];
    expect(kafkaClusterId(() => draws.shift()!)).toBe(Buffer.alloc(16, 1).toString("base64url"));
  });
});

describe("kafkaJavaArgs", () => {
  it("passes the classpath as one wildcard argument and the main class last before its arguments", () => {
    const args = kafkaJavaArgs({
      heap: "256m",
      libs: "/c/kafka/libs",
      log4jConfig: "/d/log4j2.properties",
      mainClass: "kafka.Kafka",
      args: ["/d/server.properties"],
    });
    expect(args.slice(0, 2)).toEqual(["-Xms256m", "-Xmx256m"]);
    expect(args).toContain("-Dlog4j2.configurationFile=/d/log4j2.properties");
    expect(args.slice(-4)).toEqual(["-cp", "/c/kafka/libs/*", "kafka.Kafka", "/d/server.properties"]);
  });
});

describe("log4jProperties", () => {
  it("keeps the tools' stdout clean: WARN and above, on stderr", () => {
    expect(log4jProperties(true)).toContain("appender.console.target = SYSTEM_ERR");
    expect(log4jProperties(true)).toContain("rootLogger.level = WARN");
    expect(log4jProperties(false)).toContain("rootLogger.level = INFO");
  });
});
