import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueName } from '../support/kafka.js';

/** mongo-java-server answers buildInfo with a version only; MongoDB itself always names its git commit. */
async function isMongoJavaServer(client: MongoClient): Promise<boolean> {
  const info = await client.db('admin').command({ buildInfo: 1 });
  return !('gitVersion' in info);
}

/** Pins what the CDC connector relies on from the MongoDB driver against the run's Mongo-wire server. */
describe('MongoDB change streams on the Mongo-wire server', () => {
  let client: MongoClient;

  beforeAll(async () => {
    client = new MongoClient(inject('mongodbUrl'), { serverSelectionTimeoutMS: 10_000 });
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
  });

  it('reports insert, update and delete with the full document looked up', async () => {
    const collection = client
      .db(uniqueName('smoke'))
      .collection<{ _id: string; name: string; oui: string }>('device');
    const stream = collection.watch([], { fullDocument: 'updateLookup' });
    try {
      // Opens the cursor before the writes, so that none of them happens before the stream exists.
      expect(await stream.tryNext()).toBeNull();

      await collection.insertOne({ _id: 'aa:bb:cc:dd:ee:01', name: 'kitchen tablet', oui: 'Apple' });
      await collection.updateOne({ _id: 'aa:bb:cc:dd:ee:01' }, { $set: { name: 'hall tablet' } });
      await collection.deleteOne({ _id: 'aa:bb:cc:dd:ee:01' });

      const insert = await stream.next();
      const update = await stream.next();
      const remove = await stream.next();

      expect(insert).toMatchObject({
        operationType: 'insert',
        documentKey: { _id: 'aa:bb:cc:dd:ee:01' },
        fullDocument: { _id: 'aa:bb:cc:dd:ee:01', name: 'kitchen tablet', oui: 'Apple' },
      });
      if (await isMongoJavaServer(client)) {
        // mongo-java-server 1.47.0 puts the update's operators where the document key belongs, so the
        // lookup finds nothing and fullDocument holds only the changed fields. The CDC connector cannot
        // learn which document changed from such an event and must re-read the collection instead.
        expect(update).toMatchObject({
          operationType: 'update',
          documentKey: { $set: { name: 'hall tablet' } },
          fullDocument: { name: 'hall tablet' },
        });
      } else {
        expect(update).toMatchObject({
          operationType: 'update',
          documentKey: { _id: 'aa:bb:cc:dd:ee:01' },
          fullDocument: { _id: 'aa:bb:cc:dd:ee:01', name: 'hall tablet', oui: 'Apple' },
        });
      }
      expect(remove).toMatchObject({ operationType: 'delete', documentKey: { _id: 'aa:bb:cc:dd:ee:01' } });
      // Every event carries a resume token, which the CDC connector stores in Kafka.
      for (const event of [insert, update, remove]) expect(event._id).toBeDefined();
    } finally {
      await stream.close();
    }
  });
});
