// Perspective through googleapis 23, of the time its documentation's Node sample was written:
// the module itself has discoverAPI, calls take `resource` and a callback, and the callback
// gets the answer's body (from release 25 it gets the whole HTTP response, and printing it
// fails). Usage: node discover_callbacks.js DISCOVERY_URL KEY
var googleapis = require('googleapis');

var discoveryUrl = process.argv[2];
var apiKey = process.argv[3];

googleapis.discoverAPI(discoveryUrl, function (err, client) {
  if (err) throw err;
  var request = {comment: {text: 'Jiminy cricket! Well gosh durned it!'}, requestedAttributes: {TOXICITY: {}}};
  client.comments.analyze({key: apiKey, resource: request}, function (err, response) {
    if (err) throw err;
    console.log(JSON.stringify(response));
  });
});
