// consume.mjs - the benchmark's peer: sqs-consumer (the most used SQS consumer library) applying
// widget requests from a queue to a DynamoDB table or an S3 bucket with the AWS SDK v3, the way a
// user of that library would write it (batches of 10, messages of a batch in parallel, each
// deleted when its handler returns). Stops after TOTAL messages and prints
// "peer: N requests in S s (R requests/s)", timed from the first handled message to the last.
// Usage: node consume.mjs QUEUE_URL dynamodb|s3 TABLE|BUCKET TOTAL
// Endpoints: SQS_ENDPOINT, STORE_ENDPOINT; credentials and region from the environment.
import { Consumer } from "sqs-consumer";
import { SQSClient } from "@aws-sdk/client-sqs";
import {
  DynamoDBClient, PutItemCommand, UpdateItemCommand, DeleteItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  S3Client, PutObjectCommand, GetObjectCommand, DeleteObjectCommand,
} from "@aws-sdk/client-s3";

const [queueUrl, kind, name, totalText] = process.argv.slice(2);
const total = Number(totalText);
const region = process.env.AWS_REGION || "us-east-1";
const sqs = new SQSClient({ region, endpoint: process.env.SQS_ENDPOINT });
const ddb = new DynamoDBClient({ region, endpoint: process.env.STORE_ENDPOINT });
const s3 = new S3Client({ region, endpoint: process.env.STORE_ENDPOINT, forcePathStyle: true });

const CORE = new Set(["id", "owner", "label", "description"]);
const attrName = (n) => (CORE.has(n) || n.startsWith("attr_") ? `attr_${n}` : n);
const keyOf = (r) => `widgets/${r.owner.toLowerCase().replace(/ /g, "-")}/${r.widgetId}`;

async function toDynamo(r) {
  const Key = { id: { S: r.widgetId } };
  if (r.type === "create") {
    const Item = { id: { S: r.widgetId }, owner: { S: r.owner } };
    if (r.label) Item.label = { S: r.label };
    if (r.description) Item.description = { S: r.description };
    for (const a of r.otherAttributes || []) if (a.value) Item[attrName(a.name)] = { S: a.value };
    try {
      await ddb.send(new PutItemCommand({ TableName: name, Item,
        ConditionExpression: "attribute_not_exists(id)" }));
    } catch (e) { if (e.name !== "ConditionalCheckFailedException") throw e; }
  } else if (r.type === "update") {
    const sets = [], removes = [], names = {}, values = {};
    // A name given twice: the last value wins (one path may appear once in an expression).
    const byName = new Map([["label", r.label], ["description", r.description]]);
    for (const a of r.otherAttributes || []) byName.set(attrName(a.name), a.value);
    [...byName.entries()].forEach(([n, v], i) => {
      if (v === undefined || v === null) return;
      names[`#n${i}`] = n;
      if (v === "") removes.push(`#n${i}`);
      else { sets.push(`#n${i} = :v${i}`); values[`:v${i}`] = { S: v }; }
    });
    if (!sets.length && !removes.length) return;
    names["#id"] = "id";
    try {
      await ddb.send(new UpdateItemCommand({ TableName: name, Key,
        UpdateExpression: [sets.length ? `SET ${sets.join(", ")}` : "",
          removes.length ? `REMOVE ${removes.join(", ")}` : ""].join(" ").trim(),
        ConditionExpression: "attribute_exists(#id)", ExpressionAttributeNames: names,
        ExpressionAttributeValues: Object.keys(values).length ? values : undefined }));
    } catch (e) { if (e.name !== "ConditionalCheckFailedException") throw e; }
  } else {
    await ddb.send(new DeleteItemCommand({ TableName: name, Key }));
  }
}

function widgetJson(w) {
  const out = { id: w.id, owner: w.owner };
  if (w.label) out.label = w.label;
  if (w.description) out.description = w.description;
  out.otherAttributes = w.otherAttributes;
  return JSON.stringify(out);
}

async function toS3(r) {
  const Key = keyOf(r);
  if (r.type === "create") {
    const w = { id: r.widgetId, owner: r.owner, label: r.label, description: r.description,
      otherAttributes: (r.otherAttributes || []).filter((a) => a.value) };
    await s3.send(new PutObjectCommand({ Bucket: name, Key, Body: widgetJson(w),
      ContentType: "application/json" }));
  } else if (r.type === "update") {
    let w;
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: name, Key }));
      w = JSON.parse(await got.Body.transformToString());
    } catch (e) { if (e.name === "NoSuchKey") return; throw e; }
    for (const f of ["label", "description"]) {
      if (r[f] === "") delete w[f]; else if (r[f] !== undefined && r[f] !== null) w[f] = r[f];
    }
    for (const a of r.otherAttributes || []) {
      const i = w.otherAttributes.findIndex((b) => b.name === a.name);
      if (a.value === "") { if (i >= 0) w.otherAttributes.splice(i, 1); }
      else if (i >= 0) w.otherAttributes[i].value = a.value;
      else w.otherAttributes.push({ name: a.name, value: a.value });
    }
    await s3.send(new PutObjectCommand({ Bucket: name, Key, Body: widgetJson(w),
      ContentType: "application/json" }));
  } else {
    await s3.send(new DeleteObjectCommand({ Bucket: name, Key }));
  }
}

let handled = 0, failed = 0, first = 0, last = 0;
const consumer = Consumer.create({
  queueUrl, sqs, batchSize: 10, waitTimeSeconds: 1,
  handleMessage: async (message) => {
    if (!first) first = Date.now();
    const r = JSON.parse(message.Body);
    await (kind === "dynamodb" ? toDynamo(r) : toS3(r));
    last = Date.now();
    if (++handled + failed >= total) setImmediate(finish);
    return message;
  },
});
consumer.on("error", (e) => console.error("peer: error:", e.message));
consumer.on("processing_error", (e) => {
  console.error("peer: processing error:", e.message);
  if (handled + ++failed >= total) setImmediate(finish);
});

function finish() {
  consumer.stop();
  const secs = (last - first) / 1000;
  console.log(`peer: ${handled} requests in ${secs.toFixed(3)} s ` +
    `(${Math.round((handled - 1) / secs)} requests/s), ${failed} failed`);
  setTimeout(() => process.exit(0), 300);
}
consumer.start();
